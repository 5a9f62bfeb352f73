#include "tls/identity_files.h"

#include "base/config_error.h"
#include "base/syscall.h"
#include "base/unique_fd.h"
#include "tls/fingerprint.h"
#include "tls/identity.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::server::tls {

namespace {

constexpr off_t MaxPemBytes = 1 << 20; // a key or a certificate chain is a few KiB; this is not one
constexpr char StartAfresh[] = "docs/SECURITY.md, \"Rotating the server's key\"";

// What is wrong with PEM text OpenSSL would not take, in words an administrator can act on.
std::string damage(const std::string &pem, const std::string &opensslReason)
{
    if (pem.empty())
        return "the file is empty";
    if (pem.find("-----BEGIN ") == std::string::npos)
        return "no PEM block in it";
    if (pem.find("-----END ") == std::string::npos)
        return "cut short, no END line";
    return opensslReason;
}

bool isEncrypted(const std::string &pem) { return pem.find("ENCRYPTED") != std::string::npos; }

std::string octal(mode_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", unsigned(mode & 07777));
    return text;
}

// The file's text, or false if it is not there; throws if it is there but cannot be read. `named` is
// the file as messages name it ("the server key /var/lib/ferry/identity.key").
bool readIfThere(const std::string &path, const std::string &named, std::string &text, mode_t *mode)
{
    if (readPemFile(path, text, mode))
        return true;
    const int error = errno;
    if (error == ENOENT)
        return false;
    throw ConfigError("cannot read " + named + ": " + std::strerror(error)
                      + (error == EACCES || error == EPERM ? "; the user the server runs as must be able to read it"
                                                           : "; put the right file there"));
}

// Like ssh: a key others can read is no longer a secret, and one they can change is not the server's.
void refuseLooseMode(const std::string &named, mode_t mode, mode_t allowed, const std::string &remedy)
{
    const mode_t beyond = mode & 0777 & ~allowed;
    if (beyond != 0)
        throw ConfigError(named + ((beyond & 077) != 0 ? " can be read or changed by other users" : " is executable")
                          + " (mode " + octal(mode) + "): " + remedy);
}

// The kept key: the server wrote it 0600 and unencrypted, so anything else was done to it.
KeyPtr parseKeptKey(const std::string &path, const std::string &pem)
{
    std::string error;
    KeyPtr key = keyFromPem(pem, error);
    if (!key)
        throw ConfigError("the server key " + path + " is damaged ("
                          + (isEncrypted(pem) ? std::string("encrypted with a passphrase") : damage(pem, error))
                          + "): restore it from a backup, or start afresh with a new identity, which clients must "
                            "pin again ("
                          + StartAfresh + ")");
    return key;
}

CertPtr parseKeptCertificate(const std::string &path, const std::string &pem, const std::string &keyFile)
{
    std::string error;
    CertPtr cert = certFromPem(pem, error);
    if (!cert)
        throw ConfigError("the server certificate " + path + " is damaged (" + damage(pem, error)
                          + "): remove it, and the server makes a new one for its key " + keyFile
                          + ", with the same fingerprint");
    return cert;
}

[[noreturn]] void refuseMismatch(const KeptIdentity &kept, const std::string &keyFile, const std::string &certFile)
{
    throw ConfigError("the server key " + keyFile + " (fingerprint " + fingerprintOf(kept.key.get())
                      + ") is not the key of the certificate " + certFile + " ("
                      + fingerprintOf(X509_get0_pubkey(kept.cert.get()))
                      + "), which clients may have pinned: put back the key that belongs to it, or remove the "
                        "certificate to serve the key's identity, which clients must pin again ("
                      + StartAfresh + ")");
}

} // namespace

bool readPemFile(const std::string &path, std::string &text, mode_t *mode)
{
    text.clear();
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    struct stat info {};
    if (!fd || fstat(fd.get(), &info) != 0)
        return false;
    if (!S_ISREG(info.st_mode)) {
        errno = S_ISDIR(info.st_mode) ? EISDIR : EINVAL;
        return false;
    }
    if (info.st_size > MaxPemBytes) {
        errno = EFBIG;
        return false;
    }
    if (mode)
        *mode = info.st_mode;
    char buffer[4096];
    ssize_t got;
    while ((got = retryOnEintr([&] { return ::read(fd.get(), buffer, sizeof buffer); })) > 0
           && text.size() <= size_t(MaxPemBytes))
        text.append(buffer, size_t(got));
    return got == 0;
}

KeptIdentity readKeptIdentity(const std::string &stateDir)
{
    const std::string keyFile = keyPathIn(stateDir), certFile = certPathIn(stateDir);
    std::string keyPem, certPem;
    mode_t keyMode = 0;
    const bool haveKey = readIfThere(keyFile, "the server key " + keyFile, keyPem, &keyMode);
    const bool haveCert = readIfThere(certFile, "the server certificate " + certFile, certPem, nullptr);
    KeptIdentity kept;
    if (!haveKey) {
        if (haveCert) // a new key now would silently be a new identity
            throw ConfigError("the server key " + keyFile + " is missing but its certificate " + certFile
                              + " is there: restore the key from a backup, or, to start afresh with a new identity "
                                "that clients must pin again, remove the certificate too ("
                              + StartAfresh + ")");
        return kept;
    }
    refuseLooseMode("the server key " + keyFile, keyMode, 0600,
                    "chmod 600 it, and if anyone else may have read it, rotate it (" + std::string(StartAfresh)
                        + ")");
    kept.key = parseKeptKey(keyFile, keyPem);
    if (!haveCert)
        return kept;
    kept.cert = parseKeptCertificate(certFile, certPem, keyFile);
    if (!certMatchesKey(kept.cert.get(), kept.key.get()))
        refuseMismatch(kept, keyFile, certFile);
    return kept;
}

OwnIdentity readOwnIdentity(const std::string &certFile, const std::string &keyFile)
{
    std::string keyPem, certPem, error;
    mode_t keyMode = 0;
    const std::string keyNamed = "the key " + keyFile + " (--tls-key)";
    const std::string certNamed = "the certificate " + certFile + " (--tls-cert)";
    if (!readIfThere(keyFile, keyNamed, keyPem, &keyMode))
        throw ConfigError("cannot read " + keyNamed + ": " + std::strerror(ENOENT));
    refuseLooseMode(keyNamed, keyMode, 0640,
                    "chmod 600 it (or 640 for a group such as ssl-cert), and if anyone else may have read it, "
                    "replace the key and its certificate");
    OwnIdentity own;
    own.key = keyFromPem(keyPem, error);
    if (!own.key && isEncrypted(keyPem))
        throw ConfigError(keyNamed + " is encrypted with a passphrase, which the server "
                          "cannot ask for: give it a copy without one (openssl pkey -in KEY -out NEW; chmod 600 NEW)");
    if (!own.key)
        throw ConfigError(keyNamed + " is not a PEM private key (" + damage(keyPem, error)
                          + "): give the key that belongs to --tls-cert, in PEM");
    if (!readIfThere(certFile, certNamed, certPem, nullptr))
        throw ConfigError("cannot read " + certNamed + ": " + std::strerror(ENOENT));
    own.cert = certFromPem(certPem, error);
    if (!own.cert)
        throw ConfigError(certNamed + " is not a PEM certificate ("
                          + damage(certPem, error) + "): give the certificate (chain) of --tls-key, in PEM");
    if (!certMatchesKey(own.cert.get(), own.key.get()))
        throw ConfigError(certNamed + " is not for " + keyNamed + ": give the two that belong together");
    return own;
}

} // namespace ferry::server::tls
