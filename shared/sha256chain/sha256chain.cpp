// The one place in Ferry that uses OpenSSL's low-level SHA256_* functions. OpenSSL 3 deprecates them
// for EVP, but EVP neither shows nor accepts a digest's internal state, and the chain of states is the
// point here. SHA256_CTX is a plain struct (h[8], Nl/Nh, data, num) and SHA256_Update runs the same
// block routine as EVP's SHA-256 (SHA-NI where the CPU has it), so nothing is slower for it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "sha256chain/sha256chain.h"

#include <openssl/sha.h>

#include <cstring>
#include <new>
#include <type_traits>

namespace ferry::sha256chain {

namespace {

static_assert(std::is_trivially_copyable_v<SHA256_CTX>);
static_assert(sizeof(SHA256_CTX) <= 128 && alignof(SHA256_CTX) <= 8);

constexpr uint64_t BlockSize = 64;

SHA256_CTX *contextIn(std::array<unsigned char, 128> &storage)
{
    return std::launder(reinterpret_cast<SHA256_CTX *>(storage.data()));
}

const SHA256_CTX *contextIn(const std::array<unsigned char, 128> &storage)
{
    return std::launder(reinterpret_cast<const SHA256_CTX *>(storage.data()));
}

} // namespace

const Bytes32 EmptySha256 = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                             0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                             0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

Sha256Chain::Sha256Chain()
{
    SHA256_Init(new (m_context.data()) SHA256_CTX);
}

std::optional<Sha256Chain> Sha256Chain::resume(const Bytes32 &state, uint64_t bytesSoFar)
{
    if (bytesSoFar % BlockSize != 0)
        return std::nullopt;
    Sha256Chain chain;
    SHA256_CTX *context = contextIn(chain.m_context);
    using Word = SHA_LONG; // a macro (unsigned int), which a functional cast cannot name
    for (size_t i = 0; i < 8; ++i)
        context->h[i] = Word(state[4 * i]) << 24 | Word(state[4 * i + 1]) << 16 | Word(state[4 * i + 2]) << 8
                        | Word(state[4 * i + 3]);
    // Nl:Nh count bits (md32_common.h), as SHA256_Update would have left them; num is 0 at a block's end.
    const uint64_t bits = bytesSoFar * 8;
    context->Nl = Word(bits & 0xffffffffu);
    context->Nh = Word(bits >> 32);
    context->num = 0;
    chain.m_length = bytesSoFar;
    return chain;
}

void Sha256Chain::update(const void *data, size_t size)
{
    SHA256_Update(contextIn(m_context), data, size);
    m_length += size;
}

std::optional<Bytes32> Sha256Chain::state() const
{
    if (m_length % BlockSize != 0)
        return std::nullopt;
    const SHA256_CTX *context = contextIn(m_context);
    Bytes32 out{};
    for (size_t i = 0; i < 8; ++i) {
        out[4 * i] = uint8_t(context->h[i] >> 24);
        out[4 * i + 1] = uint8_t(context->h[i] >> 16);
        out[4 * i + 2] = uint8_t(context->h[i] >> 8);
        out[4 * i + 3] = uint8_t(context->h[i]);
    }
    return out;
}

Bytes32 Sha256Chain::digest() const
{
    SHA256_CTX copy;
    std::memcpy(&copy, contextIn(m_context), sizeof copy);
    Bytes32 out{};
    SHA256_Final(out.data(), &copy);
    return out;
}

} // namespace ferry::sha256chain
