#include "partfile.h"

#include "chunkmap.h"
#include "manifest.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QtGlobal>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::client {

namespace {

constexpr int MetaFormat = 1;

QString sysError(const char *call, const QString &path, int err)
{
    return QStringLiteral("%1 %2: %3").arg(QLatin1String(call), path, QString::fromLocal8Bit(strerror(err)));
}

bool setError(QString *error, const QString &text)
{
    if (error)
        *error = text;
    return false;
}

// Makes a rename inside `dir` durable: without it a crash soon after rename() can bring back the
// old directory entry (the .part name) even though the file's data was synced. Failure is only
// logged: the file is complete and correctly named for every reader now, so calling the download
// failed would be a lie and retrying it would fetch the same bytes for nothing; some filesystems
// (certain FUSE and network mounts) also refuse fsync on a directory outright.
void syncDirectory(const QString &dir)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        qWarning("%s", qPrintable(sysError("open() directory", dir, errno)));
        return;
    }
    if (::fsync(fd) != 0)
        qWarning("%s", qPrintable(sysError("fsync() directory", dir, errno)));
    ::close(fd);
}

} // namespace

PartFile::~PartFile()
{
    close();
}

PartFile::PartFile(PartFile &&other) noexcept
    : m_fd(other.m_fd), m_finalPath(std::move(other.m_finalPath)), m_stream(other.m_stream)
{
    other.m_fd = -1;
}

PartFile &PartFile::operator=(PartFile &&other) noexcept
{
    if (this != &other) {
        close();
        m_fd = std::exchange(other.m_fd, -1);
        m_finalPath = std::move(other.m_finalPath);
        m_stream = other.m_stream;
    }
    return *this;
}

bool PartFile::isStreamTarget(const QString &finalPath)
{
    if (finalPath == QLatin1String("-"))
        return true;
    const QFileInfo info(finalPath);
    return info.exists() && !info.isFile() && !info.isDir();
}

namespace {

// A decimal string of the metadata (JSON numbers are doubles: sizes and nanosecond times are kept as
// strings), or nullopt when it is missing or not a number.
std::optional<qint64> decimal(const QJsonObject &json, QLatin1String key)
{
    bool ok = false;
    const qint64 value = json.value(key).toString().toLongLong(&ok);
    return ok ? std::optional(value) : std::nullopt;
}

// Whether the chunk records can be those of a manifest the client took (manifest.cpp): a chunk size
// that is a multiple of 64 and fits the wire's u32, a chunk count within Manifest::MaxChunkCount, so
// that what resume builds from them (a ChunkMap) stays as small as the file's real manifest.
bool isManifestShape(qint64 size, qint64 chunkSize)
{
    return chunkSize > 0 && chunkSize % 64 == 0 && chunkSize <= qint64(UINT32_MAX)
           && Manifest::chunkCountFor(size, chunkSize) <= Manifest::MaxChunkCount;
}

} // namespace

// Damaged metadata (cut short, edited, written by something else) is no metadata: the part is not
// trusted, and the download starts it over rather than build on records that cannot be right.
std::optional<PartMeta> PartFile::readMeta(const QString &finalPath)
{
    if (isStreamTarget(finalPath))
        return std::nullopt;
    QFile file(metaPathFor(finalPath));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonObject json = QJsonDocument::fromJson(file.read(64 * 1024)).object();
    const std::optional<qint64> size = decimal(json, QLatin1String("size"));
    const std::optional<qint64> mtimeNs = decimal(json, QLatin1String("mtimeNs"));
    if (json.value(QLatin1String("format")).toInt() != MetaFormat || !size || *size < 0 || !mtimeNs)
        return std::nullopt;
    PartMeta meta;
    meta.url = json.value(QLatin1String("url")).toString();
    meta.size = *size;
    meta.mtimeNs = *mtimeNs;
    if (!json.contains(QLatin1String("chunkSize")))
        return meta; // not a verified download: the rest means nothing
    const std::optional<qint64> chunkSize = decimal(json, QLatin1String("chunkSize"));
    if (!chunkSize || !isManifestShape(meta.size, *chunkSize))
        return std::nullopt;
    meta.chunkSize = *chunkSize;
    meta.root = QByteArray::fromHex(json.value(QLatin1String("root")).toString().toLatin1());
    meta.verified = json.value(QLatin1String("verified")).toString();
    meta.server = json.value(QLatin1String("server")).toString();
    return meta;
}

bool PartFile::writeMeta(const QString &finalPath, const PartMeta &meta, QString *error)
{
    QJsonObject json{{QLatin1String("format"), MetaFormat},
                     {QLatin1String("url"), meta.url},
                     {QLatin1String("size"), QString::number(meta.size)},
                     {QLatin1String("mtimeNs"), QString::number(meta.mtimeNs)}};
    if (meta.chunkSize > 0) {
        json.insert(QLatin1String("chunkSize"), QString::number(meta.chunkSize));
        json.insert(QLatin1String("root"), QString::fromLatin1(meta.root.toHex()));
        json.insert(QLatin1String("verified"), meta.verified);
        if (!meta.server.isEmpty())
            json.insert(QLatin1String("server"), meta.server);
    }
    if (isStreamTarget(finalPath))
        return true;
    const QByteArray bytes = QJsonDocument(json).toJson(QJsonDocument::Compact);
    const QString path = metaPathFor(finalPath);
    // Written beside and renamed over: a reader, or a crash, never sees half of it (which
    // would forget a verified download's chunk records).
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return setError(error, QStringLiteral("open() %1: %2").arg(path, file.errorString()));
    if (file.write(bytes) != bytes.size() || !file.commit())
        return setError(error, QStringLiteral("write() to %1: %2").arg(path, file.errorString()));
    return true;
}

qint64 PartFile::partSize(const QString &finalPath)
{
    if (isStreamTarget(finalPath))
        return 0;
    const QFileInfo info(partPathFor(finalPath));
    return info.exists() ? info.size() : 0;
}

namespace {

ChunkMap recordedChunks(const PartMeta &meta)
{
    // readMeta() vouches for the shape: the count is within Manifest::MaxChunkCount.
    ChunkMap chunks(meta.chunkSize > 0 ? int(Manifest::chunkCountFor(meta.size, meta.chunkSize)) : 0);
    if (!chunks.setVerifiedRuns(meta.verified))
        return ChunkMap(chunks.count());
    return chunks;
}

} // namespace

qint64 PartFile::resumableBytes(const QString &finalPath)
{
    const auto meta = readMeta(finalPath);
    if (!meta || meta->chunkSize <= 0)
        return partSize(finalPath);
    const ChunkMap chunks = recordedChunks(*meta);
    qint64 bytes = 0;
    for (int i = 0; i < chunks.count(); ++i) {
        if (chunks.state(i) == ChunkMap::ChunkState::Verified)
            bytes += std::min(meta->chunkSize, meta->size - qint64(i) * meta->chunkSize);
    }
    return bytes;
}

qint64 PartFile::verifiedPrefix(const PartMeta &meta)
{
    if (meta.chunkSize <= 0)
        return 0; // no chunk records
    const ChunkMap chunks = recordedChunks(meta);
    int leading = 0;
    while (leading < chunks.count() && chunks.state(leading) == ChunkMap::ChunkState::Verified)
        ++leading;
    // Every chunk but the last is whole: only a prefix short of the last chunk is a product of chunks.
    return leading == chunks.count() ? meta.size : qint64(leading) * meta.chunkSize;
}

QByteArray PartFile::digestOfRange(const QString &finalPath, qint64 offset, qint64 length)
{
    QFile file(partPathFor(finalPath));
    if (!file.open(QIODevice::ReadOnly) || !file.seek(offset))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    // Read in blocks: the range may be large, memory must stay small.
    constexpr qint64 Block = 256 * 1024;
    while (length > 0) {
        const QByteArray chunk = file.read(std::min(length, Block));
        if (chunk.isEmpty())
            return {};
        hash.addData(chunk);
        length -= chunk.size();
    }
    return hash.result();
}

bool PartFile::makeFolder(const QString &dir, QString *error)
{
    if (QDir().mkpath(dir))
        return true;
    QString existing = QDir::cleanPath(QFileInfo(dir).absoluteFilePath());
    QString missing;
    while (!QFileInfo::exists(existing) && existing != QLatin1String("/")) {
        missing = existing;
        existing = QFileInfo(existing).absolutePath();
    }
    if (!QFileInfo(existing).isDir())
        return setError(error, QStringLiteral("%1 is a file, not a folder").arg(existing));
    if (!missing.isEmpty() && ::mkdir(QFile::encodeName(missing).constData(), 0777) != 0)
        return setError(error, sysError("mkdir()", missing, errno));
    return QDir().mkpath(dir) || setError(error, QStringLiteral("mkdir %1: cannot create the folder").arg(dir));
}

void PartFile::discard(const QString &finalPath)
{
    if (isStreamTarget(finalPath))
        return;
    QFile::remove(partPathFor(finalPath));
    QFile::remove(metaPathFor(finalPath));
}

bool PartFile::open(const QString &finalPath, qint64 offset, QString *error)
{
    close();
    if (isStreamTarget(finalPath))
        return openStream(finalPath, error);
    const QString dir = QFileInfo(finalPath).absolutePath();
    if (!makeFolder(dir, error))
        return false;
    const QString path = partPathFor(finalPath);
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return setError(error, sysError("open()", path, errno));
    if (::ftruncate(fd, offset) != 0 || ::lseek(fd, offset, SEEK_SET) != offset) {
        const int err = errno;
        ::close(fd);
        return setError(error, sysError("ftruncate()", path, err));
    }
    m_fd = fd;
    m_finalPath = finalPath;
    return true;
}

bool PartFile::openPreallocated(const QString &finalPath, qint64 size, QString *error)
{
    close();
    const QString dir = QFileInfo(finalPath).absolutePath();
    if (!makeFolder(dir, error))
        return false;
    const QString path = partPathFor(finalPath);
    const QByteArray native = QFile::encodeName(path);
    // A part made here and not usable is removed again: a full disk must not leave an empty .part
    // behind. One that was there before keeps its verified chunks.
    bool created = false;
    int fd = ::open(native.constData(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        fd = ::open(native.constData(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        created = fd >= 0;
    }
    if (fd < 0)
        return setError(error, sysError("open()", path, errno));
    // fallocate reserves the blocks, so a full disk shows now rather than mid-download;
    // filesystems without it (EOPNOTSUPP) get a sparse file of the right size instead.
    const char *failed = nullptr;
    if (size > 0 && ::fallocate(fd, 0, 0, size) != 0 && errno != EOPNOTSUPP)
        failed = "fallocate()";
    else if (::ftruncate(fd, size) != 0)
        failed = "ftruncate()";
    if (failed) {
        const int err = errno;
        ::close(fd);
        if (created)
            ::unlink(native.constData());
        return setError(error, sysError(failed, path, err));
    }
    m_fd = fd;
    m_finalPath = finalPath;
    return true;
}

bool PartFile::writeAt(qint64 offset, const char *data, qint64 size, QString *error)
{
    while (size > 0) {
        const ssize_t written = ::pwrite(m_fd, data, size_t(size), offset);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return setError(error, sysError("pwrite() to", partPathFor(m_finalPath), errno));
        }
        data += written;
        size -= written;
        offset += written;
    }
    return true;
}

bool PartFile::sync(QString *error)
{
    return ::fdatasync(m_fd) == 0 || setError(error, sysError("fdatasync()", partPathFor(m_finalPath), errno));
}

bool PartFile::openStream(const QString &finalPath, QString *error)
{
    const int fd = finalPath == QLatin1String("-")
                       ? ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0)
                       : ::open(QFile::encodeName(finalPath).constData(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return setError(error, sysError("open()", finalPath, errno));
    m_fd = fd;
    m_finalPath = finalPath;
    m_stream = true;
    return true;
}

bool PartFile::write(const char *data, qint64 size, QString *error)
{
    while (size > 0) {
        const ssize_t written = ::write(m_fd, data, size_t(size));
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return setError(error, sysError("write() to", m_stream ? m_finalPath : partPathFor(m_finalPath), errno));
        }
        data += written;
        size -= written;
    }
    return true;
}

bool PartFile::commit(QString *error)
{
    if (m_stream) {
        const int fd = std::exchange(m_fd, -1);
        return ::close(fd) == 0 || setError(error, sysError("close()", m_finalPath, errno));
    }
    const QString part = partPathFor(m_finalPath);
    if (::fsync(m_fd) != 0)
        return setError(error, sysError("fsync()", part, errno));
    // close() reports delayed write errors on some filesystems (NFS): check it too.
    const int fd = std::exchange(m_fd, -1);
    if (::close(fd) != 0)
        return setError(error, sysError("close()", part, errno));
    // rename(2), not QFile::rename: it replaces an existing target atomically.
    if (::rename(QFile::encodeName(part).constData(), QFile::encodeName(m_finalPath).constData()) != 0)
        return setError(error, sysError("rename()", part, errno));
    syncDirectory(QFileInfo(m_finalPath).absolutePath());
    QFile::remove(metaPathFor(m_finalPath));
    return true;
}

void PartFile::close()
{
    if (m_fd >= 0)
        ::close(std::exchange(m_fd, -1));
    m_stream = false;
}

} // namespace ferry::client
