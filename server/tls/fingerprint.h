// A server identity people can read aloud: the SHA-256 of the certificate's SubjectPublicKeyInfo (so a
// renewed certificate with the same key keeps it), in base32 (RFC 4648 alphabet, no padding: 52
// characters) cut into 13 groups of 4 joined by '-'. docs/SECURITY.md gives the exact recipe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;

namespace ferry::server::tls {

using Sha256 = std::array<uint8_t, 32>;

// "ABCD-EFGH-…" (64 characters) for a digest.
std::string formatFingerprint(const Sha256 &digest);
// The SHA-256 of the DER SubjectPublicKeyInfo of `key`; nullopt if OpenSSL cannot encode it.
std::optional<Sha256> publicKeyDigest(EVP_PKEY *key);
// The fingerprint of `key`, or "" if it cannot be computed.
std::string fingerprintOf(EVP_PKEY *key);

} // namespace ferry::server::tls
