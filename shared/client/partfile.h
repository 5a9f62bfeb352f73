// The partial file of a download and the metadata that says whether it can be resumed.
#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace ferry::client {

// What the server said about the file a .part was cut from. Stored as JSON in
// "<final name>.part.ferry": {"format": 1, "url": "...", "size": N, "mtimeNs": M}.
// A sidecar file works on every filesystem (unlike user xattrs) and survives a copy.
// A verified download (a server with manifests) adds "chunkSize", "root" (hex) and
// "verified" (a ChunkMap run list such as "0-41,43"): the chunks whose bytes matched the
// manifest and were flushed to disk before being recorded, and "server" ("host:port"), the
// server whose manifest they match (of a URL naming several). The format number stays 1:
// an older reader ignores the extra keys and resumes by size as before, and metadata
// without them simply has no chunk verified yet.
struct PartMeta {
    QString url;
    qint64 size = 0;
    qint64 mtimeNs = 0;
    qint64 chunkSize = 0; // 0: not a verified download
    QByteArray root{};
    QString verified{};
    QString server{};
    bool operator==(const PartMeta &) const = default;
};

// Owns the open .part file descriptor (move-only). Writes go straight to the fd in
// the caller's blocks: nothing is buffered here, so memory stays bounded.
class PartFile
{
public:
    PartFile() = default;
    ~PartFile();
    PartFile(PartFile &&other) noexcept;
    PartFile &operator=(PartFile &&other) noexcept;
    PartFile(const PartFile &) = delete;
    PartFile &operator=(const PartFile &) = delete;

    static QString partPathFor(const QString &finalPath) { return finalPath + QStringLiteral(".part"); }
    static QString metaPathFor(const QString &finalPath) { return finalPath + QStringLiteral(".part.ferry"); }

    // Makes `dir` and its parents. False with `error` saying why (QDir::mkpath() only says no): which
    // component is a file, or mkdir()'s own reason for the first missing one.
    static bool makeFolder(const QString &dir, QString *error);

    // A target that is written directly, without .part, metadata or rename: "-"
    // (standard output) or an existing non-regular file such as /dev/null or a FIFO.
    // Such a download cannot resume; it starts over when interrupted.
    static bool isStreamTarget(const QString &finalPath);

    // The metadata beside `finalPath`'s part; nullopt when there is none or it is damaged (not JSON,
    // another format, a size that is not a decimal ≥ 0, chunk records no manifest could have).
    static std::optional<PartMeta> readMeta(const QString &finalPath);
    static bool writeMeta(const QString &finalPath, const PartMeta &meta, QString *error);
    // SHA-256 of the .part's bytes [offset, offset + length); empty if they cannot be read.
    static QByteArray digestOfRange(const QString &finalPath, qint64 offset, qint64 length);
    // Size of the existing .part, 0 when there is none.
    static qint64 partSize(const QString &finalPath);
    // The bytes of the .part a resume keeps: its size, or for a verified download (full
    // size from the start) those of its verified chunks.
    static qint64 resumableBytes(const QString &finalPath);
    // How much of the file's start the chunks recorded as verified cover without a gap:
    // where the unverified path may resume a verified download's .part.
    static qint64 verifiedPrefix(const PartMeta &meta);
    // Deletes the .part and its metadata (missing files are fine).
    static void discard(const QString &finalPath);

    // Opens (creating the folder and the file if needed) the .part for writing at
    // `offset`, cutting anything beyond it. False with `error` set on failure.
    bool open(const QString &finalPath, qint64 offset, QString *error);
    // Opens (creating folder and file) the .part of a chunk-granular download without cutting
    // what it holds, and reserves `size` bytes for it (fallocate, else a sparse ftruncate), so
    // segments can write their chunks anywhere with writeAt().
    bool openPreallocated(const QString &finalPath, qint64 size, QString *error);
    bool isOpen() const { return m_fd >= 0; }
    // pwrite(2) of all of `data` at `offset`; the file position is not used.
    bool writeAt(qint64 offset, const char *data, qint64 size, QString *error);
    // fdatasync: what was written is on disk (before the metadata vouches for it).
    bool sync(QString *error);
    // Writes all of `data`; false with e.g. "write() to /d/f.part: No space left on device".
    bool write(const char *data, qint64 size, QString *error);
    // fsync, close, rename(2) the part over the final path, drop the metadata.
    bool commit(QString *error);
    void close();

private:
    bool openStream(const QString &finalPath, QString *error);

    int m_fd = -1;
    QString m_finalPath;
    bool m_stream = false;
};

} // namespace ferry::client
