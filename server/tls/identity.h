// The server's identity: the certificate and key it serves, and their fingerprint. Either the pair it
// made itself in the state directory on first start (identity.key, mode 0600, and identity.crt), or an
// administrator's own (--tls-cert/--tls-key). Start-up only: everything here throws ConfigError.
#pragma once

#include <string>

namespace ferry::server::tls {

struct Identity {
    std::string certFile;
    std::string keyFile;
    std::string fingerprint; // tls/fingerprint.h
    bool created = false;    // the key was generated on this start
    bool renewed = false;    // the certificate was (re)made for an existing key
    bool ownCertificate = false; // --tls-cert
};

// Loads the generated identity from `stateDir`: on a first start (neither file there) it makes the key
// (P-256), and it makes the self-signed certificate for the key when it is missing or expires within 30
// days (same key, same fingerprint). A damaged identity is refused as readKeptIdentity() says
// (tls/identity_files.h), never remade. Safe against another server starting at the same time on the
// same directory: the key is written to a temporary file and link()ed into place, so exactly one key
// wins and every process uses it.
Identity ensureIdentity(const std::string &stateDir);

// Loads --tls-cert/--tls-key and checks them as readOwnIdentity() does.
Identity loadIdentity(const std::string &certFile, const std::string &keyFile);

// The fingerprint of the certificate in `certFile` (PEM), for `ferry-ctl identity --cert` with no server
// running; "" with `error` set if it cannot be read. Throws nothing.
std::string fingerprintOfCertificateFile(const std::string &certFile, std::string &error);

// The file names inside the state directory.
std::string keyPathIn(const std::string &stateDir);
std::string certPathIn(const std::string &stateDir);

} // namespace ferry::server::tls
