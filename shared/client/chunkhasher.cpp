#include "chunkhasher.h"

#include "filedigest.h"
#include "sha256.h"

#include <QFile>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <functional>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <unordered_map>

namespace ferry::client {

namespace {

// What the two threads are told, in order. `data` is shared between them (implicitly shared
// QByteArray: one copy of each block).
struct Task {
    enum class Kind { Bytes, Discard, FromDisk, Verified, Bad, Finish } kind = Kind::Bytes;
    qint64 offset = 0;
    QByteArray data;
    int index = 0;
};

// The chunk digests: one context per chunk in flight, and chunks re-read from disk.
class ChunkDigests
{
public:
    ChunkDigests(const Manifest &geometry, const QString &partPath) : m_geometry(geometry), m_partPath(partPath)
    {
        m_geometry.digests.clear();
    }
    ~ChunkDigests()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }

    // Calls `done(index, digest)` for every chunk the bytes complete.
    void add(qint64 offset, const QByteArray &data, const std::function<void(int, QByteArray)> &done)
    {
        qint64 at = 0;
        while (at < data.size()) {
            const int index = m_geometry.chunkAt(offset + at);
            const qint64 chunkEnd = m_geometry.chunkOffset(index) + m_geometry.chunkLength(index);
            const qint64 take = std::min<qint64>(data.size() - at, chunkEnd - (offset + at));
            Pending &pending = m_pending[index];
            pending.hash.update(data.constData() + at, take);
            pending.bytes += take;
            at += take;
            if (pending.bytes >= m_geometry.chunkLength(index)) {
                const QByteArray digest = pending.hash.result();
                m_pending.erase(index);
                done(index, digest);
            }
        }
    }
    void discard(int index) { m_pending.erase(index); }
    // Empty when the chunk cannot be read.
    QByteArray fromDisk(int index)
    {
        if (m_fd < 0)
            m_fd = ::open(QFile::encodeName(m_partPath).constData(), O_RDONLY | O_CLOEXEC);
        Sha256 hash;
        QString error;
        return m_fd >= 0 && hash.updateFromFile(m_fd, m_geometry.chunkOffset(index), m_geometry.chunkLength(index), &error)
                   ? hash.result()
                   : QByteArray();
    }

private:
    struct Pending {
        Sha256 hash;
        qint64 bytes = 0;
    };
    Manifest m_geometry;
    QString m_partPath;
    std::unordered_map<int, Pending> m_pending;
    int m_fd = -1;
};

} // namespace

// One thread and its queue of tasks; `handle` runs on that thread.
class ChunkHasher::Worker
{
public:
    explicit Worker(std::function<void(Task &)> handle) : m_handle(std::move(handle))
    {
        m_thread = std::thread([this] { run(); });
    }
    ~Worker()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_one();
        m_thread.join();
    }
    void push(Task task)
    {
        m_backlog += task.data.size();
        {
            std::lock_guard lock(m_mutex);
            m_tasks.push_back(std::move(task));
        }
        m_wake.notify_one();
    }
    qint64 backlog() const { return m_backlog.load(); }

private:
    void run()
    {
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
            m_handle(task);
            m_backlog -= task.data.size();
        }
    }

    std::function<void(Task &)> m_handle;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Task> m_tasks;
    bool m_stopping = false;
    std::atomic<qint64> m_backlog{0};
    std::thread m_thread;
};

// Results are posted to the owner's thread as queued calls to `this` (the destructor joins
// the threads first, so none runs on a deleted object).
ChunkHasher::ChunkHasher(const Manifest &manifest, const QString &partPath, QObject *parent) : QObject(parent)
{
    auto chunks = std::make_shared<ChunkDigests>(manifest, partPath);
    const auto report = [this](int index, const QByteArray &digest) {
        QMetaObject::invokeMethod(this, [this, index, digest] { emit chunkHashed(index, digest); },
                                  Qt::QueuedConnection);
    };
    m_chunks = std::make_unique<Worker>([chunks, report](Task &task) {
        switch (task.kind) {
        case Task::Kind::Bytes: chunks->add(task.offset, task.data, report); break;
        case Task::Kind::Discard: chunks->discard(task.index); break;
        case Task::Kind::FromDisk: report(task.index, chunks->fromDisk(task.index)); break;
        case Task::Kind::Verified:
        case Task::Kind::Bad:
        case Task::Kind::Finish: break;
        }
    });
    auto file = std::make_shared<FileDigest>(manifest, partPath);
    m_file = std::make_unique<Worker>([this, file](Task &task) {
        switch (task.kind) {
        case Task::Kind::Bytes: file->add(task.offset, task.data); break;
        case Task::Kind::Discard:
        case Task::Kind::Bad: file->forget(task.index); break;
        case Task::Kind::Verified: file->verified(task.index); break;
        case Task::Kind::Finish: {
            QString error;
            const QByteArray digest = file->finish(&error);
            QMetaObject::invokeMethod(this, [this, digest, error] { emit fileHashed(digest, error); },
                                      Qt::QueuedConnection);
            break;
        }
        case Task::Kind::FromDisk: break;
        }
    });
}

ChunkHasher::~ChunkHasher()
{
    m_chunks.reset();
    m_file.reset();
}

void ChunkHasher::add(qint64 offset, const char *data, qint64 size)
{
    const QByteArray bytes(data, size);
    m_chunks->push({Task::Kind::Bytes, offset, bytes});
    m_file->push({Task::Kind::Bytes, offset, bytes});
}

void ChunkHasher::discard(int index)
{
    m_chunks->push({Task::Kind::Discard, 0, {}, index});
    m_file->push({Task::Kind::Discard, 0, {}, index});
}

void ChunkHasher::hashFromDisk(int index)
{
    m_chunks->push({Task::Kind::FromDisk, 0, {}, index});
}

void ChunkHasher::chunkVerified(int index)
{
    m_file->push({Task::Kind::Verified, 0, {}, index});
}

void ChunkHasher::chunkBad(int index)
{
    m_file->push({Task::Kind::Bad, 0, {}, index});
}

void ChunkHasher::finishFile()
{
    m_file->push({Task::Kind::Finish, 0, {}, 0});
}

qint64 ChunkHasher::backlogBytes() const
{
    return std::max(m_chunks->backlog(), m_file->backlog());
}

} // namespace ferry::client
