#include "tls/identity.h"

#include "base/config_error.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "tls/certificate.h"
#include "tls/fingerprint.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <openssl/x509.h>
#include <unistd.h>

namespace ferry::server::tls {

namespace {

constexpr int CertificateDays = 3650;            // pinned by key, so its dates only keep TLS libraries happy
constexpr long long RenewBeforeSeconds = 30 * 86400; // renewed (same key, same fingerprint) this early

// Reads a whole file; false with errno set if it cannot be opened.
bool readFile(const std::string &path, std::string &text)
{
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return false;
    text.clear();
    char buffer[4096];
    ssize_t got;
    while ((got = read(fd.get(), buffer, sizeof buffer)) > 0)
        text.append(buffer, size_t(got));
    return got == 0;
}

std::string temporaryNameFor(const std::string &path) { return path + ".tmp." + std::to_string(getpid()); }

// Writes `text` to a temporary file beside `path` (mode `mode`), syncs it, and moves it into place:
// link() when `replace` is false (fails with EEXIST if `path` exists: someone else won), rename()
// otherwise. Returns 0 or an errno value; throws nothing.
int writeAtomically(const std::string &path, const std::string &text, mode_t mode, bool replace)
{
    std::string temporary = temporaryNameFor(path);
    unlink(temporary.c_str()); // a leftover of a crashed start with our pid
    UniqueFd fd(open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd)
        return errno;
    bool ok = write(fd.get(), text.data(), text.size()) == ssize_t(text.size()) && fsync(fd.get()) == 0;
    int error = ok ? 0 : errno;
    fd.reset();
    if (ok)
        error = (replace ? rename(temporary.c_str(), path.c_str()) : link(temporary.c_str(), path.c_str())) == 0 ? 0
                                                                                                                : errno;
    unlink(temporary.c_str());
    return error;
}

[[noreturn]] void refuse(const std::string &what, const std::string &path, int error)
{
    throw ConfigError(what + " " + path + ": " + std::strerror(error));
}

KeyPtr readKey(const std::string &path)
{
    std::string pem, error;
    if (!readFile(path, pem))
        refuse("cannot read the server key", path, errno);
    KeyPtr key = keyFromPem(pem, error);
    if (!key)
        throw ConfigError("the server key " + path + " is not a PEM private key: " + error);
    return key;
}

void checkKeyMode(const std::string &path)
{
    struct stat info {};
    if (stat(path.c_str(), &info) != 0)
        refuse("stat() on the server key", path, errno);
    if ((info.st_mode & 077) != 0) // like ssh: a key others can read is no longer a secret
        throw ConfigError("the server key " + path + " is readable by other users (mode "
                          + std::to_string((info.st_mode >> 6) & 7) + std::to_string((info.st_mode >> 3) & 7)
                          + std::to_string(info.st_mode & 7) + "): chmod 600 it");
}

// The key in `path`, made first if absent. `created` tells whether this process made it.
KeyPtr loadOrMakeKey(const std::string &path, bool &created)
{
    created = false;
    if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
        std::string error;
        KeyPtr key = makeKey(error);
        if (!key)
            throw ConfigError(error);
        int written = writeAtomically(path, keyToPem(key.get()), 0600, false);
        if (written == 0) {
            created = true;
            return key;
        }
        if (written != EEXIST) // EEXIST: another server on this directory made one first; use that one
            refuse("cannot write the server key", path, written);
    }
    checkKeyMode(path);
    return readKey(path);
}

std::string hostName()
{
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
        return "ferry-server";
    return name;
}

// The certificate in `path` if it is for `key` and not about to expire; otherwise a new one.
bool ensureCertificate(const std::string &path, EVP_PKEY *key)
{
    std::string pem, error;
    if (readFile(path, pem))
        if (CertPtr cert = certFromPem(pem, error);
            cert && certMatchesKey(cert.get(), key) && secondsLeft(cert.get()) > RenewBeforeSeconds)
            return false;
    CertPtr fresh = makeSelfSigned(key, hostName(), CertificateDays, error);
    if (!fresh)
        throw ConfigError(error);
    if (int written = writeAtomically(path, certToPem(fresh.get()), 0644, true); written != 0)
        refuse("cannot write the server certificate", path, written);
    return true;
}

} // namespace

std::string keyPathIn(const std::string &stateDir) { return stateDir + "/identity.key"; }
std::string certPathIn(const std::string &stateDir) { return stateDir + "/identity.crt"; }

Identity ensureIdentity(const std::string &stateDir)
{
    Identity identity;
    identity.keyFile = keyPathIn(stateDir);
    identity.certFile = certPathIn(stateDir);
    KeyPtr key = loadOrMakeKey(identity.keyFile, identity.created);
    identity.renewed = ensureCertificate(identity.certFile, key.get()) && !identity.created;
    identity.fingerprint = fingerprintOf(key.get());
    if (identity.fingerprint.empty())
        throw ConfigError("cannot compute the fingerprint of " + identity.keyFile + ": " + opensslError());
    return identity;
}

std::string fingerprintOfCertificateFile(const std::string &certFile, std::string &error)
{
    std::string pem;
    if (!readFile(certFile, pem)) {
        error = "cannot read " + certFile + ": " + std::strerror(errno);
        return {};
    }
    CertPtr cert = certFromPem(pem, error);
    if (!cert) {
        error = certFile + " is not a PEM certificate: " + error;
        return {};
    }
    std::string fingerprint = fingerprintOf(X509_get0_pubkey(cert.get()));
    if (fingerprint.empty())
        error = "cannot compute the fingerprint of " + certFile;
    return fingerprint;
}

Identity loadIdentity(const std::string &certFile, const std::string &keyFile)
{
    Identity identity;
    identity.certFile = certFile;
    identity.keyFile = keyFile;
    identity.ownCertificate = true;
    KeyPtr key = readKey(keyFile);
    std::string pem, error;
    if (!readFile(certFile, pem))
        refuse("cannot read the certificate", certFile, errno);
    CertPtr cert = certFromPem(pem, error);
    if (!cert)
        throw ConfigError("the certificate " + certFile + " is not PEM: " + error);
    if (!certMatchesKey(cert.get(), key.get()))
        throw ConfigError("the certificate " + certFile + " is not for the key " + keyFile);
    identity.fingerprint = fingerprintOf(key.get());
    return identity;
}

} // namespace ferry::server::tls
