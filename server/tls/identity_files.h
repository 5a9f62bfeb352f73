// Reading the server's identity files and judging them, changing nothing. Start-up refuses a damaged
// identity with this before it makes anything (parent/startup_checks.h), and nothing here or in
// identity.h ever remakes a key behind the administrator's back: a new key is a new fingerprint, and
// every client that pinned the old one would be told the server is an impostor. Every refusal is a
// ConfigError of one sentence that names the file and says what to do. Start-up and reload only.
#pragma once

#include "tls/certificate.h"

#include <string>
#include <sys/types.h>

namespace ferry::server::tls {

// The identity kept in a state directory, as found.
struct KeptIdentity {
    KeyPtr key;   // null: neither file is there (a first start: both are made)
    CertPtr cert; // null with a key: the certificate is missing, to be made again for the key
};

// Reads identity.key and identity.crt in `stateDir`. Throws ConfigError if the certificate is there
// without its key, if either cannot be read or is not PEM of its kind (truncated, garbage, encrypted),
// if the key file may be read or written by anyone but its owner (anything wider than 0600), or if the
// certificate is not for the key.
KeptIdentity readKeptIdentity(const std::string &stateDir);

// The administrator's --tls-cert/--tls-key (the certificate file's first, the server's own, and the
// key), judged the same way, except that the key may be readable by its group: Debian keeps keys
// 0640 root:ssl-cert for the services in that group. Others may never read it.
struct OwnIdentity {
    KeyPtr key;
    CertPtr cert;
};
OwnIdentity readOwnIdentity(const std::string &certFile, const std::string &keyFile);

// The whole of a regular file of PEM text (at most 1 MiB) and its mode bits; false with errno set if it
// cannot be opened (ENOENT if it is not there) or read, or is not a regular file (EISDIR, EINVAL) or
// too large (EFBIG). Never blocks on a FIFO. Throws nothing.
bool readPemFile(const std::string &path, std::string &text, mode_t *mode = nullptr);

} // namespace ferry::server::tls
