// SHA-256 of a verified download's chunks, computed on a thread of its own.
#pragma once

#include "manifest.h"

#include <QByteArray>
#include <QObject>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <variant>

namespace ferry::client {

// Hashing 1 GiB takes about half a second even with SHA-NI: on the event loop's
// thread that would stall every transfer and repaint, so a worker thread does it.
// The event loop hands it the body bytes it already holds in memory (one copy of each
// block, no second read of the file); the thread keeps one SHA-256 context per chunk in
// flight and reports each finished chunk with chunkHashed().
//
// It also computes the whole file's SHA-256: bytes that arrive in file order (one
// stream, from the start) are hashed from memory as they come; whatever arrived out of
// order (other segments, a resumed part) is read back from the .part by finishFile(),
// once, at the end, usually from the page cache.
//
// Calls and signals belong to the thread that created the object; the destructor waits
// for the worker, and no signal is emitted after it.
class ChunkHasher : public QObject
{
    Q_OBJECT
public:
    ChunkHasher(const Manifest &manifest, QString partPath, QObject *parent = nullptr);
    ~ChunkHasher() override;

    // Bytes [offset, offset + size) of the file, just written to the .part. A range may
    // span chunks; each chunk's bytes must come in order, and a chunk must be complete
    // before its digest is reported.
    void add(qint64 offset, const char *data, qint64 size);
    // Forgets what was added of chunk `index` (its segment broke off): it is fetched anew.
    void discard(int index);
    // Hashes chunk `index` from the .part as it is on disk (resuming a part whose
    // metadata does not vouch for it).
    void hashFromDisk(int index);
    // Completes the whole-file digest (reading back what it has not seen) and reports fileHashed().
    void finishFile();
    // Bytes handed over but not hashed yet: the caller stops reading from the network
    // above a bound, so a slow CPU slows the sender instead of filling memory.
    qint64 backlogBytes() const { return m_backlog.load(); }

signals:
    // `digest` is empty when the chunk could not be read back from disk.
    void chunkHashed(int index, const QByteArray &digest);
    // The whole file's SHA-256; empty (with `error`) when the .part could not be read.
    void fileHashed(const QByteArray &digest, const QString &error);

private:
    struct Bytes {
        qint64 offset;
        QByteArray data;
    };
    struct Discard {
        int index;
    };
    struct FromDisk {
        int index;
    };
    struct FinishFile {};
    using Task = std::variant<Bytes, Discard, FromDisk, FinishFile>;

    void push(Task task);
    void run();
    class Worker;

    Manifest m_manifest; // digests unused here; only the geometry
    QString m_partPath;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Task> m_tasks;
    bool m_stopping = false;
    std::atomic<qint64> m_backlog{0};
    std::thread m_thread;
};

} // namespace ferry::client
