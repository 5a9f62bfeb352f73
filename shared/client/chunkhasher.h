// The checks of a verified download's chunks against their manifest entries, on a thread of its own.
#pragma once

#include "manifest.h"

#include <QByteArray>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <span>

namespace ferry::client {

// Hashing 1 GiB takes about half a second even with SHA-NI: on the event loop's thread that
// would stall every transfer and repaint, so a worker thread does it. The event loop hands it
// the body bytes it already holds in memory: a ring the socket is read into (buffer()), so
// there is no copy and no second read of the file. Chunk i is hashed from manifest entry i − 1
// (a SHA-256 chain state, PROTOCOL.md §10.5), one context per chunk in flight, and the state
// it reaches is reported with chunkHashed() for the owner to compare with entry i. The file's
// SHA-256 needs no pass of its own: once every chunk matched, it is the last entry
// (Manifest::fileSha256()).
//
// Calls and signals belong to the thread that created the object; the destructor waits for the
// worker, and no signal is emitted after it.
class ByteRing;

class ChunkHasher : public QObject
{
    Q_OBJECT
public:
    // How far the hashing thread may lag behind the network, in body bytes (the ring's size,
    // allocated once per download; a smaller file gets a ring of its size, at least 64 KiB):
    // a few blocks of Connection::ReadBlockSize, so a thread that loses its core for a moment
    // does not stop the reading at once.
    static constexpr qint64 RingBytes = 16 << 20;

    ChunkHasher(const Manifest &manifest, const QString &partPath, QObject *parent = nullptr);
    ~ChunkHasher() override;

    // Bytes [offset, offset + size) of the file, just written to the .part. A range may span
    // chunks; each chunk's bytes must come in order, and a chunk must be complete before its
    // digest is reported.
    void add(qint64 offset, const char *data, qint64 size);
    // Where the next add() can take up to `wanted` bytes without copying them (read them
    // there, then add() them); empty when the ring is full.
    std::span<char> buffer(qint64 wanted);
    // Forgets what was added of chunk `index` (its segment broke off): it is fetched anew.
    void discard(int index);
    // Hashes chunk `index` from the .part as it is on disk (resuming a part whose metadata
    // does not vouch for it).
    void hashFromDisk(int index);
    // Bytes add() can take now without allocating: the caller stops reading from the network
    // when it is low, so a slow CPU slows the sender instead of filling memory.
    qint64 room() const;
    // The ring's size: room() when the thread has caught up.
    qint64 capacity() const;
    // True when room() is at least `bytes` (at most capacity()) now. Otherwise false, and
    // roomAvailable() follows once it is: the hashing thread says so, no one polls.
    bool awaitRoom(qint64 bytes);
    // Bytes handed over but not hashed yet.
    qint64 backlogBytes() const;

signals:
    // What chunk `index` reached from the entry before it (its state, or for the last chunk the
    // file's digest), to compare with its entry; empty when the chunk could not be read back
    // from disk.
    void chunkHashed(int index, const QByteArray &digest);
    // The room an awaitRoom() that answered false asked for is free (once per such call).
    void roomAvailable();

private:
    class Worker;
    std::unique_ptr<ByteRing> m_ring; // outlives the worker, which reads it
    std::unique_ptr<Worker> m_chunks;
};

} // namespace ferry::client
