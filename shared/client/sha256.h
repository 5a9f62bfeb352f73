// SHA-256 with OpenSSL (the CPU's SHA extensions), and hashing a range of a file. Internal.
#pragma once

#include <QByteArray>
#include <QString>

#include <memory>

struct evp_md_ctx_st;

namespace ferry::client {

// One SHA-256 in progress; copyable (a checkpoint to go back to). OpenSSL rather than
// QCryptographicHash: about 2 GB/s here against a few hundred MB/s.
class Sha256
{
public:
    Sha256();
    Sha256(const Sha256 &other);
    Sha256 &operator=(const Sha256 &other);
    ~Sha256();

    void update(const char *data, qint64 size);
    // The digest of everything so far (32 bytes); the object may go on being updated.
    QByteArray result() const;
    // Feeds bytes [offset, offset + length) of `fd` (pread, so the file position is untouched);
    // false with *error set when they cannot be read.
    bool updateFromFile(int fd, qint64 offset, qint64 length, QString *error);

private:
    struct Free {
        void operator()(evp_md_ctx_st *ctx) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> m_ctx;
};

} // namespace ferry::client
