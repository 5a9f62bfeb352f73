// SHA-256 through OpenSSL's EVP interface (which uses SHA-NI or ARMv8 SHA2 where the CPU has them), as a
// small value type so that the manifest code holds no libcrypto types or error queues.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ferry::server::manifest {

using Digest = std::array<uint8_t, 32>;

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256 &&) noexcept;
    Sha256 &operator=(Sha256 &&) noexcept;

    // False (and error() says why) if libcrypto failed; the hash is then unusable.
    [[nodiscard]] bool isValid() const { return m_error.empty(); }
    const std::string &error() const { return m_error; }
    // Starts a new hash; the previous one is discarded.
    [[nodiscard]] bool reset();
    [[nodiscard]] bool update(const void *data, size_t size);
    // The digest of everything since reset(); nullopt-like false on failure. Call reset() to reuse.
    [[nodiscard]] bool finish(Digest &digest);

private:
    bool fail(const char *call);
    struct Context;
    std::unique_ptr<Context> m_context;
    std::string m_error;
};

// The SHA-256 of a byte string in one call (tests, the root over a manifest's digests).
[[nodiscard]] bool sha256Of(const void *data, size_t size, Digest &digest);

} // namespace ferry::server::manifest
