#include "access/token_secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace ferry::server {

namespace {

constexpr size_t SecretBytes = 32;
constexpr size_t SecretTextLength = 43; // ceil(32 * 8 / 6), unpadded
constexpr char Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64Url(const uint8_t *bytes, size_t size)
{
    std::string text;
    uint32_t bits = 0;
    int held = 0;
    for (size_t i = 0; i < size; ++i) {
        bits = (bits << 8) | bytes[i];
        held += 8;
        while (held >= 6) {
            held -= 6;
            text.push_back(Alphabet[(bits >> held) & 63]);
        }
    }
    if (held > 0)
        text.push_back(Alphabet[(bits << (6 - held)) & 63]);
    return text;
}

std::optional<std::array<uint8_t, SecretBytes>> fromBase64Url(std::string_view text)
{
    if (text.size() != SecretTextLength)
        return std::nullopt;
    std::array<uint8_t, SecretBytes> bytes{};
    uint32_t bits = 0;
    int held = 0;
    size_t out = 0;
    for (char c : text) {
        const char *at = std::char_traits<char>::find(Alphabet, 64, c);
        if (!at)
            return std::nullopt;
        bits = (bits << 6) | uint32_t(at - Alphabet);
        held += 6;
        if (held >= 8) {
            held -= 8;
            if (out < SecretBytes)
                bytes[out++] = uint8_t(bits >> held);
        }
    }
    if (out != SecretBytes || (bits & ((1u << held) - 1)) != 0) // the 2 spare bits must be zero
        return std::nullopt;
    return bytes;
}

SecretHash sha256(const uint8_t *bytes, size_t size)
{
    SecretHash hash{};
    unsigned int length = 0;
    EVP_Digest(bytes, size, hash.data(), &length, EVP_sha256(), nullptr);
    return hash;
}

} // namespace

std::optional<NewSecret> makeSecret()
{
    std::array<uint8_t, SecretBytes> bytes{};
    if (RAND_bytes(bytes.data(), int(bytes.size())) != 1)
        return std::nullopt;
    NewSecret secret{base64Url(bytes.data(), bytes.size()), sha256(bytes.data(), bytes.size())};
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return secret;
}

std::optional<SecretHash> hashOfSecret(std::string_view text)
{
    std::optional<std::array<uint8_t, SecretBytes>> bytes = fromBase64Url(text);
    if (!bytes)
        return std::nullopt;
    SecretHash hash = sha256(bytes->data(), bytes->size());
    OPENSSL_cleanse(bytes->data(), bytes->size());
    return hash;
}

bool sameHash(const SecretHash &a, const SecretHash &b) { return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

std::optional<std::string> makeTokenId()
{
    uint8_t bytes[5];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return std::nullopt;
    static constexpr char Hex[] = "0123456789abcdef";
    std::string id = "tk-";
    for (uint8_t b : bytes)
        id.append({Hex[b >> 4], Hex[b & 15]});
    return id;
}

std::string hexOf(const SecretHash &hash)
{
    static constexpr char Hex[] = "0123456789abcdef";
    std::string text;
    for (uint8_t b : hash)
        text.append({Hex[b >> 4], Hex[b & 15]});
    return text;
}

std::optional<SecretHash> hashFromHex(std::string_view hex)
{
    if (hex.size() != 64)
        return std::nullopt;
    SecretHash hash{};
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        return -1;
    };
    for (size_t i = 0; i < hash.size(); ++i) {
        const int high = nibble(hex[2 * i]), low = nibble(hex[2 * i + 1]);
        if (high < 0 || low < 0)
            return std::nullopt;
        hash[i] = uint8_t(high * 16 + low);
    }
    return hash;
}

} // namespace ferry::server
