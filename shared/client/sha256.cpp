#include "sha256.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <vector>

namespace ferry::client {

void Sha256::Free::operator()(evp_md_ctx_st *ctx) const
{
    EVP_MD_CTX_free(ctx);
}

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new())
{
    EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr);
}

Sha256::Sha256(const Sha256 &other) : m_ctx(EVP_MD_CTX_new())
{
    EVP_MD_CTX_copy_ex(m_ctx.get(), other.m_ctx.get());
}

Sha256 &Sha256::operator=(const Sha256 &other)
{
    if (this != &other)
        EVP_MD_CTX_copy_ex(m_ctx.get(), other.m_ctx.get());
    return *this;
}

Sha256::~Sha256() = default;

void Sha256::update(const char *data, qint64 size)
{
    EVP_DigestUpdate(m_ctx.get(), data, size_t(size));
}

QByteArray Sha256::result() const
{
    Sha256 copy(*this); // finishing consumes a context
    QByteArray digest(EVP_MAX_MD_SIZE, Qt::Uninitialized);
    unsigned int size = 0;
    EVP_DigestFinal_ex(copy.m_ctx.get(), reinterpret_cast<unsigned char *>(digest.data()), &size);
    digest.truncate(int(size));
    return digest;
}

bool Sha256::updateFromFile(int fd, qint64 offset, qint64 length, QString *error)
{
    std::vector<char> block(size_t(std::clamp<qint64>(length, 1, 1 << 20)));
    while (length > 0) {
        const ssize_t got = ::pread(fd, block.data(), size_t(std::min<qint64>(length, qint64(block.size()))), offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            *error = got < 0 ? QString::fromLocal8Bit(strerror(errno)) : QStringLiteral("the file is too short");
            return false;
        }
        update(block.data(), got);
        offset += got;
        length -= got;
    }
    return true;
}

} // namespace ferry::client
