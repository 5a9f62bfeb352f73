#include "chunkhasher.h"

#include "bytering.h"

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
#include <optional>
#include <unordered_map>
#include <vector>

namespace ferry::client {

namespace {

// What the thread is told, in order. The bytes are in the ring (read there from the socket, or
// copied in), or on the heap when the ring was full.
struct Task {
    enum class Kind { Bytes, Discard, FromDisk } kind = Kind::Bytes;
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

// The ring for a file of `fileSize` bytes. Test builds (FERRY_TEST_HOOKS, set with BUILD_TESTING)
// take FERRY_TEST_HASH_RING_BYTES instead when it is set: a ring much smaller than a socket read
// makes the hashing thread the slower side of a download on any machine, so that a test runs the
// reader's waits for room on every block.
qint64 ringBytesFor(qint64 fileSize)
{
#ifdef FERRY_TEST_HOOKS
    if (const qint64 forced = qEnvironmentVariableIntValue("FERRY_TEST_HASH_RING_BYTES"); forced >= 64)
        return forced;
#endif
    return std::clamp<qint64>(fileSize, MinRingBytes, ChunkHasher::RingBytes);
}

// Bytes per pread() of a chunk read back from disk.
constexpr qint64 DiskBlockSize = 1 << 20;

// The chunks' chains: one per chunk in flight, each started from the entry before its chunk, and
// chunks re-read from disk.
class ChunkChains
{
public:
    ChunkChains(const Manifest &manifest, const QString &partPath) : m_manifest(manifest), m_partPath(partPath) {}
    ~ChunkChains()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }

    // Calls `done(index, reached)` for every chunk the bytes complete.
    void add(qint64 offset, const char *data, qint64 size, const std::function<void(int, QByteArray)> &done)
    {
        qint64 at = 0;
        while (at < size) {
            const int index = m_manifest.chunkAt(offset + at);
            const qint64 chunkEnd = m_manifest.chunkOffset(index) + m_manifest.chunkLength(index);
            const qint64 take = std::min<qint64>(size - at, chunkEnd - (offset + at));
            Pending &pending = pendingFor(index);
            if (pending.chain)
                pending.chain->update(data + at, size_t(take));
            pending.bytes += take;
            at += take;
            if (pending.bytes >= m_manifest.chunkLength(index)) {
                const QByteArray reached = pending.chain ? m_manifest.chainAfter(index, *pending.chain) : QByteArray();
                m_pending.erase(index);
                done(index, reached);
            }
        }
    }
    void discard(int index) { m_pending.erase(index); }
    // Empty when the chunk cannot be read (or its entry's predecessor is unusable).
    QByteArray fromDisk(int index)
    {
        if (m_fd < 0)
            m_fd = ::open(QFile::encodeName(m_partPath).constData(), O_RDONLY | O_CLOEXEC);
        auto chain = m_manifest.chainBefore(index);
        if (m_fd < 0 || !chain)
            return {};
        std::vector<char> block(size_t(std::min(DiskBlockSize, std::max<qint64>(m_manifest.chunkLength(index), 1))));
        qint64 offset = m_manifest.chunkOffset(index);
        for (qint64 left = m_manifest.chunkLength(index); left > 0;) {
            const size_t want = size_t(std::min<qint64>(left, qint64(block.size())));
            const ssize_t got = ::pread(m_fd, block.data(), want, offset);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                return {};
            chain->update(block.data(), size_t(got));
            offset += got;
            left -= got;
        }
        return m_manifest.chainAfter(index, *chain);
    }

private:
    struct Pending {
        std::optional<sha256chain::Sha256Chain> chain; // none: its entry's predecessor is unusable
        qint64 bytes = 0;
    };
    Pending &pendingFor(int index)
    {
        auto found = m_pending.find(index);
        if (found == m_pending.end())
            found = m_pending.emplace(index, Pending{m_manifest.chainBefore(index), 0}).first;
        return found->second;
    }

    Manifest m_manifest;
    QString m_partPath;
    std::unordered_map<int, Pending> m_pending;
    int m_fd = -1;
};

} // namespace

// One thread and its queue of tasks; `handle` runs on that thread, the ring's one reader.
class ChunkHasher::Worker
{
public:
    Worker(std::function<void(Task &)> handle, ByteRing *ring) : m_handle(std::move(handle)), m_ring(ring)
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
                m_ring->release(0, task.size);
            m_backlog -= task.size;
        }
    }

    std::function<void(Task &)> m_handle;
    ByteRing *m_ring;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Task> m_tasks;
    bool m_stopping = false;
    std::atomic<qint64> m_backlog{0};
    std::thread m_thread;
};

// Results are posted to the owner's thread as queued calls to `this` (the destructor joins
// the thread first, so none runs on a deleted object).
ChunkHasher::ChunkHasher(const Manifest &manifest, const QString &partPath, QObject *parent)
    : QObject(parent),
      m_ring(std::make_unique<ByteRing>(ringBytesFor(manifest.fileSize), 1))
{
    // Called on the hashing thread by the release that frees a watched room; the signal reaches the
    // owner's thread as a queued call (and not at all once the destructor has joined the thread).
    m_ring->setRoomCallback(
        [this] { QMetaObject::invokeMethod(this, [this] { emit roomAvailable(); }, Qt::QueuedConnection); });
    auto chains = std::make_shared<ChunkChains>(manifest, partPath);
    const auto report = [this](int index, const QByteArray &reached) {
        QMetaObject::invokeMethod(this, [this, index, reached] { emit chunkHashed(index, reached); },
                                  Qt::QueuedConnection);
    };
    m_chunks = std::make_unique<Worker>([chains, report](Task &task) {
        switch (task.kind) {
        case Task::Kind::Bytes: chains->add(task.offset, task.bytes, task.size, report); break;
        case Task::Kind::Discard: chains->discard(task.index); break;
        case Task::Kind::FromDisk: report(task.index, chains->fromDisk(task.index)); break;
        }
    }, m_ring.get());
}

ChunkHasher::~ChunkHasher()
{
    m_chunks.reset();
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
        m_chunks->push(std::move(task));
        offset += taken;
        data += taken;
        size -= taken;
    }
}

void ChunkHasher::discard(int index)
{
    m_chunks->push(Task::about(Task::Kind::Discard, index));
}

void ChunkHasher::hashFromDisk(int index)
{
    m_chunks->push(Task::about(Task::Kind::FromDisk, index));
}

std::span<char> ChunkHasher::buffer(qint64 wanted)
{
    return m_ring->writable(wanted);
}

qint64 ChunkHasher::room() const
{
    return m_ring->room();
}

qint64 ChunkHasher::capacity() const
{
    return m_ring->capacity();
}

bool ChunkHasher::awaitRoom(qint64 bytes)
{
    return m_ring->watchRoom(bytes);
}

qint64 ChunkHasher::backlogBytes() const
{
    return m_chunks->backlog();
}

} // namespace ferry::client
