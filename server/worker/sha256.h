// SHA-256 (FIPS 180-4), for DIGEST replies. Small and dependency-free: a server host needs no crypto library.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ferry::server {

class Sha256 {
public:
    Sha256();
    void update(const uint8_t *data, size_t size);
    // Finishes and returns the digest; the object must not be updated afterwards.
    std::array<uint8_t, 32> finish();

private:
    void compress(const uint8_t *block);
    std::array<uint32_t, 8> m_state;
    uint8_t m_block[64];
    size_t m_blockUsed = 0;
    uint64_t m_totalBytes = 0;
};

} // namespace ferry::server
