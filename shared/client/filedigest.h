// The whole file's SHA-256 of a verified download, built from verified bytes only. Internal.
#pragma once

#include "manifest.h"
#include "sha256.h"

#include <QByteArray>
#include <QString>

#include <map>
#include <vector>

namespace ferry::client {

// Body bytes that arrive in file order (one stream from the start) are hashed from memory as
// they come, speculatively: a checkpoint of the digest is kept at the start of each chunk not
// yet verified, and a chunk that fails its check, or whose transfer breaks off, rolls the digest
// back to it. A verified chunk that the digest reaches without having seen its bytes (another
// segment fetched it, or a resumed part held it) is read back from the .part at once, usually
// from the page cache. So the result covers exactly the verified bytes, in order.
// Not thread-safe: ChunkHasher runs it on a thread of its own.
class FileDigest
{
public:
    FileDigest(const Manifest &geometry, QString partPath);
    ~FileDigest();
    FileDigest(const FileDigest &) = delete;
    FileDigest &operator=(const FileDigest &) = delete;

    // Bytes [offset, offset + size) just written to the .part.
    void add(qint64 offset, const char *data, qint64 size);
    void add(qint64 offset, const QByteArray &data) { add(offset, data.constData(), data.size()); }
    void verified(int index);
    // Chunk `index` failed its check, or its transfer broke off: forget its bytes.
    void forget(int index);
    // Every chunk is verified: the digest, or empty with *error when the part could not be read.
    QByteArray finish(QString *error);
    // Bytes hashed so far (for tests).
    qint64 frontier() const { return m_frontier; }
    // How many bytes were read back from the .part rather than hashed from memory (for tests).
    qint64 readBack() const { return m_readBack; }

private:
    void catchUp();

    Manifest m_geometry;
    QString m_partPath;
    std::vector<bool> m_verified;
    std::map<int, Sha256> m_checkpoints; // the digest before chunk i, while i is unverified
    Sha256 m_hash;
    qint64 m_frontier = 0;
    qint64 m_readBack = 0;
    int m_fd = -1;
    QString m_error;
};

} // namespace ferry::client
