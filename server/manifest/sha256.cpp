#include "manifest/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>

namespace ferry::server::manifest {

struct Sha256::Context {
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(context); }
};

Sha256::Sha256() : m_context(std::make_unique<Context>())
{
    if (!m_context->context)
        fail("EVP_MD_CTX_new");
    else
        (void)reset();
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256 &&) noexcept = default;
Sha256 &Sha256::operator=(Sha256 &&) noexcept = default;

bool Sha256::fail(const char *call)
{
    char text[256] = "unknown error";
    if (const unsigned long code = ERR_get_error())
        ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    m_error = std::string(call) + "(): " + text;
    return false;
}

bool Sha256::reset()
{
    if (!isValid())
        return false;
    return EVP_DigestInit_ex(m_context->context, EVP_sha256(), nullptr) == 1 || fail("EVP_DigestInit_ex");
}

bool Sha256::update(const void *data, size_t size)
{
    if (!isValid())
        return false;
    return EVP_DigestUpdate(m_context->context, data, size) == 1 || fail("EVP_DigestUpdate");
}

bool Sha256::finish(Digest &digest)
{
    if (!isValid())
        return false;
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(m_context->context, digest.data(), &size) != 1 || size != digest.size())
        return fail("EVP_DigestFinal_ex");
    return true;
}

bool sha256Of(const void *data, size_t size, Digest &digest)
{
    Sha256 hash;
    return hash.update(data, size) && hash.finish(digest);
}

} // namespace ferry::server::manifest
