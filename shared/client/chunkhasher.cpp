#include "chunkhasher.h"

#include "bytering.h"
#include "filedigest.h"
#include "sha256.h"

#include <QFile>

#include <algorithm>
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

// What the two threads are told, in order. The bytes are shared between them: in the ring (read
// there from the socket, or copied in), or on the heap when the ring was full.
struct Task {
    enum class Kind { Bytes, Discard, FromDisk, Verified, Bad, Finish } kind = Kind::Bytes;
    int index = 0;
    qint64 offset = 0;
    const char *bytes = nullptr;
    qint64 size = 0;
    bool inRing = false; // released to the ring once handled
    QByteArray spilled; // holds `bytes` when they are not in the ring

    static Task about(Kind kind, int index)
    {
        Task task;
        task.kind = kind;
        task.index = index;
        return task;
    }
};

// A small file's ring is its size, but not so small that a read is cut short often.
constexpr qint64 MinRingBytes = 64 << 10;

// Readers of the ring, one per thread.
constexpr int ChunkReader = 0;
constexpr int FileReader = 1;

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
    void add(qint64 offset, const char *data, qint64 size, const std::function<void(int, QByteArray)> &done)
    {
        qint64 at = 0;
        while (at < size) {
            const int index = m_geometry.chunkAt(offset + at);
            const qint64 chunkEnd = m_geometry.chunkOffset(index) + m_geometry.chunkLength(index);
            const qint64 take = std::min<qint64>(size - at, chunkEnd - (offset + at));
            Pending &pending = m_pending[index];
            pending.hash.update(data + at, take);
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
        return m_fd >= 0
                && hash.updateFromFile(m_fd, m_geometry.chunkOffset(index), m_geometry.chunkLength(index), &error)
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

// One thread and its queue of tasks; `handle` runs on that thread, which is reader `reader` of
// the ring.
class ChunkHasher::Worker
{
public:
    Worker(std::function<void(Task &)> handle, ByteRing *ring, int reader)
        : m_handle(std::move(handle)), m_ring(ring), m_reader(reader)
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
        m_backlog += task.size;
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
            if (task.inRing)
                m_ring->release(m_reader, task.size);
            m_backlog -= task.size;
        }
    }

    std::function<void(Task &)> m_handle;
    ByteRing *m_ring;
    int m_reader;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Task> m_tasks;
    bool m_stopping = false;
    std::atomic<qint64> m_backlog{0};
    std::thread m_thread;
};

// Results are posted to the owner's thread as queued calls to `this` (the destructor joins
// the threads first, so none runs on a deleted object).
ChunkHasher::ChunkHasher(const Manifest &manifest, const QString &partPath, QObject *parent)
    : QObject(parent),
      m_ring(std::make_unique<ByteRing>(std::clamp<qint64>(manifest.fileSize, MinRingBytes, RingBytes), 2))
{
    auto chunks = std::make_shared<ChunkDigests>(manifest, partPath);
    const auto report = [this](int index, const QByteArray &digest) {
        QMetaObject::invokeMethod(this, [this, index, digest] { emit chunkHashed(index, digest); },
                                  Qt::QueuedConnection);
    };
    m_chunks = std::make_unique<Worker>([chunks, report](Task &task) {
        switch (task.kind) {
        case Task::Kind::Bytes: chunks->add(task.offset, task.bytes, task.size, report); break;
        case Task::Kind::Discard: chunks->discard(task.index); break;
        case Task::Kind::FromDisk: report(task.index, chunks->fromDisk(task.index)); break;
        case Task::Kind::Verified:
        case Task::Kind::Bad:
        case Task::Kind::Finish: break;
        }
    }, m_ring.get(), ChunkReader);
    auto file = std::make_shared<FileDigest>(manifest, partPath);
    m_file = std::make_unique<Worker>([this, file](Task &task) {
        switch (task.kind) {
        case Task::Kind::Bytes: file->add(task.offset, task.bytes, task.size); break;
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
    }, m_ring.get(), FileReader);
}

ChunkHasher::~ChunkHasher()
{
    m_chunks.reset();
    m_file.reset();
}

// Into the ring, in two pieces when the bytes wrap around its end; what it has no room for
// (the pacer holds reading back, but a block the decoder had buffered still comes) is copied
// to the heap.
void ChunkHasher::add(qint64 offset, const char *data, qint64 size)
{
    while (size > 0) {
        Task task;
        task.offset = offset;
        task.size = std::min(size, m_ring->contiguousRoom());
        task.inRing = task.size > 0;
        if (task.inRing) {
            task.bytes = m_ring->write(data, task.size);
        } else {
            task.size = size;
            task.spilled = QByteArray(data, size);
            task.bytes = task.spilled.constData();
        }
        const qint64 taken = task.size;
        m_chunks->push(task);
        m_file->push(std::move(task));
        offset += taken;
        data += taken;
        size -= taken;
    }
}

void ChunkHasher::discard(int index)
{
    m_chunks->push(Task::about(Task::Kind::Discard, index));
    m_file->push(Task::about(Task::Kind::Discard, index));
}

void ChunkHasher::hashFromDisk(int index)
{
    m_chunks->push(Task::about(Task::Kind::FromDisk, index));
}

void ChunkHasher::chunkVerified(int index)
{
    m_file->push(Task::about(Task::Kind::Verified, index));
}

void ChunkHasher::chunkBad(int index)
{
    m_file->push(Task::about(Task::Kind::Bad, index));
}

void ChunkHasher::finishFile()
{
    m_file->push(Task::about(Task::Kind::Finish, 0));
}

std::span<char> ChunkHasher::buffer(qint64 wanted)
{
    return m_ring->writable(wanted);
}

qint64 ChunkHasher::room() const
{
    return m_ring->room();
}

qint64 ChunkHasher::backlogBytes() const
{
    return std::max(m_chunks->backlog(), m_file->backlog());
}

} // namespace ferry::client
