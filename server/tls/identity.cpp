#include "tls/identity.h"

#include "base/config_error.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "tls/certificate.h"
#include "tls/fingerprint.h"
#include "tls/identity_files.h"

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

// The key of a first start, made and written. Another server starting on the same directory at the same
// time may have linked its key first: then that one is read as a kept one, and both serve it.
KeptIdentity makeFirstKey(const std::string &stateDir, bool &created)
{
    std::string error;
    KeyPtr key = makeKey(error);
    if (!key)
        throw ConfigError(error);
    const std::string path = keyPathIn(stateDir);
    const int written = writeAtomically(path, keyToPem(key.get()), 0600, false);
    if (written == EEXIST)
        return readKeptIdentity(stateDir);
    if (written != 0)
        refuse("cannot write the server key", path, written);
    created = true;
    KeptIdentity made;
    made.key = std::move(key);
    return made;
}

std::string hostName()
{
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
        return "ferry-server";
    return name;
}

// A certificate for the kept key when it has none or its own expires soon; the key, and so the
// fingerprint, stays. True if one was made.
bool ensureCertificate(const std::string &path, const KeptIdentity &kept)
{
    if (kept.cert && secondsLeft(kept.cert.get()) > RenewBeforeSeconds)
        return false;
    std::string error;
    CertPtr fresh = makeSelfSigned(kept.key.get(), hostName(), CertificateDays, error);
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
    KeptIdentity kept = readKeptIdentity(stateDir); // a damaged one is refused, never remade
    if (!kept.key)
        kept = makeFirstKey(stateDir, identity.created);
    identity.renewed = ensureCertificate(identity.certFile, kept) && !identity.created;
    identity.fingerprint = fingerprintOf(kept.key.get());
    if (identity.fingerprint.empty())
        throw ConfigError("cannot compute the fingerprint of " + identity.keyFile + ": " + opensslError());
    return identity;
}

std::string fingerprintOfCertificateFile(const std::string &certFile, std::string &error)
{
    std::string pem;
    if (!readPemFile(certFile, pem)) {
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
    identity.fingerprint = fingerprintOf(readOwnIdentity(certFile, keyFile).key.get());
    return identity;
}

} // namespace ferry::server::tls
