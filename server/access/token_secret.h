// A token's secret and how it is kept: 256 random bits, shown once in URL-safe base64 (43 characters, no
// padding), stored only as their SHA-256. SHA-256 without a salt or stretching is enough here because the
// secret is random and as long as the hash: there is no dictionary to try (docs/SECURITY.md, "Tokens").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::server {

using SecretHash = std::array<uint8_t, 32>;

struct NewSecret {
    std::string text; // what the administrator is shown once and a client sends in AUTH
    SecretHash hash;  // what the store keeps
};

// A fresh secret from the system's random source (RAND_bytes); nothing if it fails.
std::optional<NewSecret> makeSecret();
// The hash a presented secret would have, or nothing if `text` is not a secret's spelling (43 characters
// of URL-safe base64 that decode to 32 bytes).
std::optional<SecretHash> hashOfSecret(std::string_view text);
// Compares two hashes in time that does not depend on where they differ (CRYPTO_memcmp).
bool sameHash(const SecretHash &a, const SecretHash &b);
// A short public id for a new token, "tk-" and 10 hex digits; nothing if the random source fails.
std::optional<std::string> makeTokenId();

std::string hexOf(const SecretHash &hash);
std::optional<SecretHash> hashFromHex(std::string_view hex);

} // namespace ferry::server
