// SHA-256 of a verified download's chunks and of the whole file, on threads of their own.
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
// would stall every transfer and repaint, so two worker threads do it, one for the chunk
// digests, one for the whole file's (FileDigest), in parallel on two cores. The event loop
// hands both the body bytes it already holds in memory: a ring the two share, which the
// socket is read into (buffer()), so there is no copy for the hashers and no second read of
// the file for the chunks. The chunk thread keeps one SHA-256 context per chunk in flight
// and reports each finished chunk with chunkHashed().
//
// Calls and signals belong to the thread that created the object; the destructor waits for the
// workers, and no signal is emitted after it.
class ByteRing;

class ChunkHasher : public QObject
{
    Q_OBJECT
public:
    // How far the hashing threads may lag behind the network, in body bytes (the ring's size,
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
    // The owner compared chunk `index`'s digest: the whole-file digest takes its bytes, or
    // forgets them.
    void chunkVerified(int index);
    void chunkBad(int index);
    // Every chunk is verified: completes the whole-file digest and reports fileHashed().
    void finishFile();
    // Bytes add() can take now without allocating: the caller stops reading from the network
    // when it is low, so a slow CPU slows the sender instead of filling memory.
    qint64 room() const;
    // Bytes handed over but not hashed yet (the slower thread's).
    qint64 backlogBytes() const;

signals:
    // `digest` is empty when the chunk could not be read back from disk.
    void chunkHashed(int index, const QByteArray &digest);
    // The whole file's SHA-256; empty (with `error`) when the .part could not be read.
    void fileHashed(const QByteArray &digest, const QString &error);

private:
    class Worker;
    std::unique_ptr<ByteRing> m_ring; // outlives the workers, which read it
    std::unique_ptr<Worker> m_chunks;
    std::unique_ptr<Worker> m_file;
};

} // namespace ferry::client
