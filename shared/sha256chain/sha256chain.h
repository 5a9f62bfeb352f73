// SHA-256 as a chain of states: after every multiple of 64 bytes its internal state H0…H7 can be read
// out, and a later computation can start from such a state instead of from the beginning. A manifest
// entry is the state at the end of a chunk (docs/PROTOCOL.md §10.5), so a client checks chunk i alone,
// starting from entry i − 1, and the state it reaches at the end of the file is the file's SHA-256.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace ferry::sha256chain {

using Bytes32 = std::array<uint8_t, 32>;

// The SHA-256 of no bytes: an empty file's, which no chunk carries.
extern const Bytes32 EmptySha256;

// A plain value (copyable, no allocation). Cannot fail: SHA-256 over bytes in memory has no error.
class Sha256Chain {
public:
    // The standard initial state, no bytes hashed.
    Sha256Chain();
    // Continues a computation whose state after its first `bytesSoFar` bytes was `state` (as state()
    // gave it). nullopt unless bytesSoFar is a multiple of 64: only there is the state all there is.
    static std::optional<Sha256Chain> resume(const Bytes32 &state, uint64_t bytesSoFar);

    void update(const void *data, size_t size);
    uint64_t length() const { return m_length; }
    // H0…H7, big-endian, after length() bytes; nullopt unless length() is a multiple of 64.
    std::optional<Bytes32> state() const;
    // The SHA-256 of the length() bytes so far (padding goes to a copy: the chain may go on).
    Bytes32 digest() const;

private:
    // Room for OpenSSL's SHA256_CTX (112 bytes; sha256chain.cpp checks it fits), held by value so that
    // the type stays copyable and its header free of OpenSSL's deprecated declarations.
    alignas(8) std::array<unsigned char, 128> m_context{};
    uint64_t m_length = 0;
};

} // namespace ferry::sha256chain
