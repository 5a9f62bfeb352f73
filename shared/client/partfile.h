// The partial file of a download and the metadata that says whether it can be resumed.
#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace ferry::client {

// What the server said about the file a .part was cut from. Stored as JSON in
// "<final name>.part.ferry": {"format": 1, "url": "...", "size": N, "mtimeNs": M}.
// A sidecar file works on every filesystem (unlike user xattrs) and survives a copy.
struct PartMeta {
    QString url;
    qint64 size = 0;
    qint64 mtimeNs = 0;
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

    // A target that is written directly, without .part, metadata or rename: "-"
    // (standard output) or an existing non-regular file such as /dev/null or a FIFO.
    // Such a download cannot resume; it starts over when interrupted.
    static bool isStreamTarget(const QString &finalPath);

    static std::optional<PartMeta> readMeta(const QString &finalPath);
    static bool writeMeta(const QString &finalPath, const PartMeta &meta, QString *error);
    // SHA-256 of the .part's bytes [offset, offset + length); empty if they cannot be read.
    static QByteArray digestOfRange(const QString &finalPath, qint64 offset, qint64 length);
    // Size of the existing .part, 0 when there is none.
    static qint64 partSize(const QString &finalPath);
    // Deletes the .part and its metadata (missing files are fine).
    static void discard(const QString &finalPath);

    // Opens (creating the folder and the file if needed) the .part for writing at
    // `offset`, cutting anything beyond it. False with `error` set on failure.
    bool open(const QString &finalPath, qint64 offset, QString *error);
    bool isOpen() const { return m_fd >= 0; }
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
