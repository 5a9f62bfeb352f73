#include "tls/fingerprint.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace ferry::server::tls {

std::string formatFingerprint(const Sha256 &digest)
{
    static constexpr char Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string base32;
    uint32_t buffer = 0;
    int bits = 0;
    for (uint8_t byte : digest) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            base32 += Alphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) // 256 bits leave 1 over: the last character carries it in its top bit
        base32 += Alphabet[(buffer << (5 - bits)) & 31];
    std::string grouped;
    for (size_t i = 0; i < base32.size(); ++i) {
        if (i > 0 && i % 4 == 0)
            grouped += '-';
        grouped += base32[i];
    }
    return grouped;
}

std::optional<Sha256> publicKeyDigest(EVP_PKEY *key)
{
    unsigned char *der = nullptr;
    int length = i2d_PUBKEY(key, &der); // DER SubjectPublicKeyInfo, as in the certificate
    if (length <= 0)
        return std::nullopt;
    Sha256 digest{};
    unsigned int size = 0;
    bool ok = EVP_Digest(der, size_t(length), digest.data(), &size, EVP_sha256(), nullptr) == 1;
    OPENSSL_free(der);
    if (!ok || size != digest.size())
        return std::nullopt;
    return digest;
}

std::string fingerprintOf(EVP_PKEY *key)
{
    std::optional<Sha256> digest = publicKeyDigest(key);
    return digest ? formatFingerprint(*digest) : std::string();
}

} // namespace ferry::server::tls
