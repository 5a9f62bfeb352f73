// OpenSSL objects with owners, and the two things Ferry makes with them: a P-256 key pair and a
// self-signed certificate for it. Why P-256 and not Ed25519: docs/SECURITY.md ("Why ECDSA P-256").
#pragma once

#include <memory>
#include <string>

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace ferry::server::tls {

struct KeyFree {
    void operator()(EVP_PKEY *key) const;
};
struct CertFree {
    void operator()(X509 *cert) const;
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;

// A fresh ECDSA P-256 key pair; null on failure (OpenSSL's reason in `error`).
KeyPtr makeKey(std::string &error);
// A self-signed X.509 v3 certificate for `key`: subject CN = `commonName`, subjectAltName DNS:`commonName`,
// valid from a day ago for `days` days, random 128-bit serial, signed with SHA-256.
CertPtr makeSelfSigned(EVP_PKEY *key, const std::string &commonName, int days, std::string &error);

// PEM text and back. Reading returns null with `error` set; an encrypted key is not read (no
// passphrase is ever asked for).
std::string keyToPem(EVP_PKEY *key);
std::string certToPem(X509 *cert);
KeyPtr keyFromPem(const std::string &pem, std::string &error);
CertPtr certFromPem(const std::string &pem, std::string &error);

// Whether the certificate's public key is `key`'s.
bool certMatchesKey(X509 *cert, EVP_PKEY *key);
// A passphrase callback that gives none (pem_password_cb), for every OpenSSL call that reads a key.
int noPassphrase(char *buffer, int size, int writing, void *data);
// Seconds until the certificate's notAfter (negative once expired).
long long secondsLeft(X509 *cert);

// The last OpenSSL error as text (and the queue cleared), for messages.
std::string opensslError();

} // namespace ferry::server::tls
