#include "chunkhasher.h"

#include <QFile>

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>
#include <unordered_map>

namespace ferry::client {

namespace {

struct MdCtxFree {
    void operator()(EVP_MD_CTX *ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// OpenSSL's SHA-256, not QCryptographicHash: it uses the CPU's SHA extensions (~2 GB/s
// here against a few hundred MB/s), which is what keeps verification nearly free.
MdCtx newSha256()
{
    MdCtx ctx(EVP_MD_CTX_new());
    if (ctx)
        EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    return ctx;
}

QByteArray finish(EVP_MD_CTX *ctx)
{
    QByteArray digest(EVP_MAX_MD_SIZE, Qt::Uninitialized);
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char *>(digest.data()), &size);
    digest.truncate(int(size));
    return digest;
}

} // namespace

// Everything the worker thread touches; nothing of it is shared with the event loop.
class ChunkHasher::Worker
{
public:
    Worker(const Manifest &manifest, const QString &partPath) : m_manifest(manifest), m_partPath(partPath) {}
    ~Worker()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }

    // Calls `done(index, digest)` for every chunk that the bytes complete.
    template<typename Done>
    void add(qint64 offset, const QByteArray &data, Done done)
    {
        addToFile(offset, data.constData(), data.size());
        qint64 at = 0;
        while (at < data.size()) {
            const int index = m_manifest.chunkAt(offset + at);
            const qint64 chunkEnd = m_manifest.chunkOffset(index) + m_manifest.chunkLength(index);
            const qint64 take = std::min<qint64>(data.size() - at, chunkEnd - (offset + at));
            Pending &pending = m_pending[index];
            if (!pending.ctx)
                pending.ctx = newSha256();
            EVP_DigestUpdate(pending.ctx.get(), data.constData() + at, size_t(take));
            pending.bytes += take;
            at += take;
            if (pending.bytes >= m_manifest.chunkLength(index)) {
                const QByteArray digest = finish(pending.ctx.get());
                m_pending.erase(index);
                done(index, digest);
            }
        }
    }

    void discard(int index) { m_pending.erase(index); }

    // Feeds bytes [offset, offset + length) of the .part into `ctx`; false when they cannot be read.
    bool readInto(qint64 offset, qint64 length, EVP_MD_CTX *ctx)
    {
        if (!openPart())
            return false;
        std::vector<char> block(size_t(std::clamp<qint64>(length, 1, 1 << 20)));
        while (length > 0) {
            const ssize_t got = ::pread(m_fd, block.data(), size_t(std::min<qint64>(length, qint64(block.size()))), offset);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                m_error = got < 0 ? QString::fromLocal8Bit(strerror(errno)) : QStringLiteral("the file is too short");
                return false;
            }
            EVP_DigestUpdate(ctx, block.data(), size_t(got));
            offset += got;
            length -= got;
        }
        return true;
    }

    // Empty when the chunk cannot be read.
    QByteArray hashChunk(int index)
    {
        MdCtx ctx = newSha256();
        return readInto(m_manifest.chunkOffset(index), m_manifest.chunkLength(index), ctx.get()) ? finish(ctx.get())
                                                                                                : QByteArray();
    }

    // The whole file: what came in order is hashed already; the rest is read back now.
    QByteArray finishFile(QString *error)
    {
        if (m_fileOffset < m_manifest.fileSize
            && !readInto(m_fileOffset, m_manifest.fileSize - m_fileOffset, m_file.get())) {
            *error = QStringLiteral("reading back %1: %2").arg(m_partPath, m_error);
            return {};
        }
        m_fileOffset = m_manifest.fileSize;
        return finish(m_file.get());
    }

private:
    struct Pending {
        MdCtx ctx;
        qint64 bytes = 0;
    };

    void addToFile(qint64 offset, const char *data, qint64 size)
    {
        if (offset != m_fileOffset)
            return; // out of order: finishFile() reads it back
        EVP_DigestUpdate(m_file.get(), data, size_t(size));
        m_fileOffset += size;
    }

    bool openPart()
    {
        if (m_fd < 0)
            m_fd = ::open(QFile::encodeName(m_partPath).constData(), O_RDONLY | O_CLOEXEC);
        if (m_fd < 0)
            m_error = QString::fromLocal8Bit(strerror(errno));
        return m_fd >= 0;
    }

    Manifest m_manifest;
    QString m_partPath;
    std::unordered_map<int, Pending> m_pending;
    MdCtx m_file = newSha256();
    qint64 m_fileOffset = 0;
    int m_fd = -1;
    QString m_error;
};

ChunkHasher::ChunkHasher(const Manifest &manifest, QString partPath, QObject *parent)
    : QObject(parent), m_manifest(manifest), m_partPath(std::move(partPath))
{
    m_manifest.digests.clear(); // only the geometry is needed here
    m_thread = std::thread([this] { run(); });
}

ChunkHasher::~ChunkHasher()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

void ChunkHasher::push(Task task)
{
    {
        std::lock_guard lock(m_mutex);
        m_tasks.push_back(std::move(task));
    }
    m_wake.notify_one();
}

void ChunkHasher::add(qint64 offset, const char *data, qint64 size)
{
    m_backlog += size;
    push(Bytes{offset, QByteArray(data, size)});
}

void ChunkHasher::discard(int index)
{
    push(Discard{index});
}

void ChunkHasher::hashFromDisk(int index)
{
    push(FromDisk{index});
}

void ChunkHasher::finishFile()
{
    push(FinishFile{});
}

// The worker's loop: tasks in order, each result posted to the owner's thread (a queued
// call to `this`, dropped by Qt if the object is gone — but the destructor joins first).
void ChunkHasher::run()
{
    Worker worker(m_manifest, m_partPath);
    const auto report = [this](int index, const QByteArray &digest) {
        QMetaObject::invokeMethod(this, [this, index, digest] { emit chunkHashed(index, digest); },
                                  Qt::QueuedConnection);
    };
    for (;;) {
        Task task;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_tasks.empty(); });
            if (m_stopping)
                return;
            task = std::move(m_tasks.front());
            m_tasks.pop_front();
        }
        if (auto *bytes = std::get_if<Bytes>(&task)) {
            worker.add(bytes->offset, bytes->data, report);
            m_backlog -= bytes->data.size();
        } else if (auto *discard = std::get_if<Discard>(&task)) {
            worker.discard(discard->index);
        } else if (auto *fromDisk = std::get_if<FromDisk>(&task)) {
            report(fromDisk->index, worker.hashChunk(fromDisk->index));
        } else {
            QString error;
            const QByteArray digest = worker.finishFile(&error);
            QMetaObject::invokeMethod(this, [this, digest, error] { emit fileHashed(digest, error); },
                                      Qt::QueuedConnection);
        }
    }
}

} // namespace ferry::client
