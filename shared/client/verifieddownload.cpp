// VerifiedDownload: the manifest, the .part and its records, the digests, the ending.
#include "verifieddownload.h"

#include "chunkhasher.h"
#include "chunksegment.h"
#include "connectionpool.h"
#include "knownservers.h"
#include "manifestfetch.h"

#include <QFileInfo>
#include <QLocale>

#include <algorithm>

namespace ferry::client {

namespace {

// How often verified chunks are recorded (each time after an fdatasync): what a crash can
// cost beyond the chunks in flight, against one sync a second.
constexpr int RecordIntervalMs = 1000;
// Below this much room in the hashing ring reading pauses rather than taking small reads.
constexpr qint64 MinHashRoom = 256 << 10;
// A paused reader is woken once this much of the ring is free (or all of a smaller ring): a
// quarter of the 16 MiB ring, so it reads a few blocks per wake-up while the hashing thread still
// has three quarters of the ring to work on, and never waits for the reader.
constexpr qint64 ResumeHashRoom = 4 << 20;

} // namespace

VerifiedDownload::VerifiedDownload(const FerryUrl &url, const QList<FerryUrl> &mirrors, const QString &localPath,
                                   QObject *parent)
    : QObject(parent), m_url(url), m_localPath(localPath), m_sources(QList<FerryUrl>{url} + mirrors)
{
    m_recordTimer.setInterval(RecordIntervalMs);
    connect(&m_recordTimer, &QTimer::timeout, this, &VerifiedDownload::recordVerified);
}

VerifiedDownload::~VerifiedDownload()
{
    stop();
    m_hasher.reset(); // joins the thread before the members it reports to go
}

void VerifiedDownload::stop()
{
    m_done = true;
    m_recordTimer.stop();
    stopAll();
    if (m_part.isOpen()) {
        recordVerified();
        m_part.close();
    }
}

void VerifiedDownload::setPacing(Connection::BodyPacer pace, Consume consume)
{
    m_pace = std::move(pace);
    m_consume = std::move(consume);
}

void VerifiedDownload::start(Connection *connection)
{
    connection->setParent(this);
    emit statusChanged(tr("Fetching the manifest"));
    auto *fetch = new ManifestFetch(connection, m_url.path(), this);
    connect(fetch, &ManifestFetch::received, this, [this, fetch, connection](const Manifest &manifest) {
        fetch->deleteLater();
        m_sources.agree(0, manifest, ManifestFetch::streamsOffered(*connection));
        onManifest(manifest);
        if (!m_done && !m_finishing)
            startSources(connection);
        else if (m_pool && connection->state() == Connection::State::Ready)
            m_pool->give(connection); // nothing to fetch (the part was complete, or the file empty)
        else
            connection->deleteLater();
    });
    connect(fetch, &ManifestFetch::failed, this, [this, fetch](ErrorKind kind, const QString &reason, int code) {
        fetch->deleteLater();
        fail(kind, reason,
             code == int(proto::ErrorCode::FileChanged)   ? Cause::FileChanged
             : code == int(proto::ErrorCode::Unsupported) ? Cause::Unsupported
                                                          : Cause::Other);
    });
    fetch->start();
}

qint64 VerifiedDownload::receivedBytes() const
{
    qint64 bytes = 0;
    for (int i = 0; i < m_chunks.count(); ++i) {
        const auto state = m_chunks.state(i);
        if (state == ChunkMap::ChunkState::Verified || state == ChunkMap::ChunkState::Hashing)
            bytes += m_manifest.chunkLength(i);
    }
    for (const ChunkSegment *segment : m_segments)
        bytes += segment->partialChunkBytes();
    return bytes;
}

int VerifiedDownload::activeSegments() const
{
    return int(std::count_if(m_segments.begin(), m_segments.end(),
                             [](const ChunkSegment *segment) { return segment->range().has_value(); }));
}

void VerifiedDownload::onManifest(const Manifest &manifest)
{
    m_manifest = manifest;
    m_haveManifest = true;
    m_chunks = ChunkMap(manifest.chunkCount());
    m_chunkSource.assign(size_t(manifest.chunkCount()), 0);
    if (!preparePart())
        return;
    m_hasher = std::make_unique<ChunkHasher>(manifest, PartFile::partPathFor(m_localPath));
    connect(m_hasher.get(), &ChunkHasher::chunkHashed, this, &VerifiedDownload::onChunkHashed);
    connect(m_hasher.get(), &ChunkHasher::roomAvailable, this, &VerifiedDownload::resumeReading);
    adoptRecords(PartFile::readMeta(m_localPath));
    m_resumedFrom = receivedBytes();
    m_recordTimer.start();
    emit transferring();
    finishIfComplete(); // an empty file, or a part that was complete already
}

// A .part cut from another file is of no use: start afresh. A verified part's root names its
// content, so its mtime may differ (a copy on another server); an unverified part has only size
// and mtime. A part whose verified chunks another server of the list vouched for, of a file that
// differs here, is kept instead (otherVersion()).
bool VerifiedDownload::preparePart()
{
    const auto meta = PartFile::readMeta(m_localPath);
    if (const auto why = meta ? otherVersion(*meta) : std::nullopt) {
        fail(ErrorKind::RemoteError, *why, Cause::OtherVersion);
        return false;
    }
    const bool sameFile = meta && meta->size == m_manifest.fileSize
                          && (meta->chunkSize == 0 ? meta->mtimeNs == m_manifest.mtimeNs
                                                   : meta->chunkSize == m_manifest.chunkSize
                                                         && meta->root == m_manifest.root);
    if (!sameFile)
        PartFile::discard(m_localPath);
    QString error;
    PartMeta fresh;
    fresh.url = m_url.toString();
    fresh.size = m_manifest.fileSize;
    fresh.mtimeNs = m_manifest.mtimeNs;
    fresh.chunkSize = m_manifest.chunkSize;
    fresh.root = m_manifest.root;
    fresh.verified = meta && sameFile ? meta->verified : QString();
    fresh.server = KnownServers::serverKey(m_url.host(), m_url.port());
    const qint64 oldSize = PartFile::partSize(m_localPath);
    const bool hadPart = QFileInfo::exists(PartFile::partPathFor(m_localPath));
    // The records before the part: a .part made first would stand for a moment at the file's full
    // size with no records beside it, and resumableBytes() (what a crash there leaves, what a
    // restored queue shows) would count all of it as kept.
    if (!PartFile::makeFolder(QFileInfo(m_localPath).absolutePath(), &error)
        || !PartFile::writeMeta(m_localPath, fresh, &error)
        || !m_part.openPreallocated(m_localPath, m_manifest.fileSize, &error)) {
        if (!hadPart)
            PartFile::discard(m_localPath); // records of nothing: a full disk leaves no file behind
        fail(ErrorKind::LocalError, error);
        return false;
    }
    if (meta && sameFile && meta->chunkSize == 0)
        m_uncheckedPrefix = std::min(oldSize, m_manifest.fileSize); // written by the unverified path
    return true;
}

// Why this server's file is another version than the one `meta`'s verified chunks came from on
// another server of the job's list; nullopt when it is the same file, nothing is verified yet, or
// the chunks came from this server (the file changed here) or from one outside the list.
std::optional<QString> VerifiedDownload::otherVersion(const PartMeta &meta) const
{
    const QString here = KnownServers::serverKey(m_url.host(), m_url.port());
    const bool fromFleet = std::any_of(m_fleet.begin(), m_fleet.end(), [&](const ServerAddress &server) {
        return KnownServers::serverKey(server.host, server.port) == meta.server;
    });
    if (meta.chunkSize <= 0 || meta.verified.isEmpty() || meta.server == here || !fromFleet)
        return std::nullopt;
    QString difference;
    if (meta.size != m_manifest.fileSize)
        difference = tr("%1 bytes there, %2 here").arg(meta.size).arg(m_manifest.fileSize);
    else if (meta.chunkSize != m_manifest.chunkSize)
        difference = tr("chunks of %1 bytes there, %2 here").arg(meta.chunkSize).arg(m_manifest.chunkSize);
    else if (meta.root != m_manifest.root)
        difference = tr("manifest root %1 there, %2 here")
                         .arg(QString::fromLatin1(meta.root.toHex().left(16)),
                              QString::fromLatin1(m_manifest.root.toHex().left(16)));
    else
        return std::nullopt;
    return tr("%1: the other server %2 has a different version of this file than %3, where the partial "
              "download began (%4); the %5 verified so far are kept in %6: retry once %3 is back, or delete "
              "the .part to download %2's version")
        .arg(m_url.path(), here, meta.server, difference,
             QLocale::system().formattedDataSize(PartFile::resumableBytes(m_localPath)),
             PartFile::partPathFor(m_localPath));
}

// Chunks the metadata vouches for are taken as they are; a part without records (the
// unverified path wrote a prefix of it) has each chunk of that prefix re-checked from disk.
void VerifiedDownload::adoptRecords(const std::optional<PartMeta> &meta)
{
    if (m_uncheckedPrefix == 0 && meta && meta->chunkSize > 0) {
        if (!m_chunks.setVerifiedRuns(meta->verified))
            m_chunks = ChunkMap(m_manifest.chunkCount()); // garbled records: trust none
        return;
    }
    const qint64 prefix = std::exchange(m_uncheckedPrefix, 0);
    for (int i = 0; i < m_chunks.count() && m_manifest.chunkOffset(i) + m_manifest.chunkLength(i) <= prefix; ++i) {
        if (m_chunks.claimAt(i, 1)) {
            m_chunks.markArrived(i);
            m_chunkSource[size_t(i)] = -1; // from disk
            m_hasher->hashFromDisk(i);
        }
    }
    if (prefix > 0)
        emit statusChanged(tr("Checking the partial file"));
}

void VerifiedDownload::onChunkHashed(int index, const QByteArray &digest)
{
    if (m_done || m_chunks.state(index) != ChunkMap::ChunkState::Hashing)
        return;
    if (digest == m_manifest.digests[size_t(index)]) {
        m_chunks.markVerified(index);
        m_recordsDirty = true;
        emit progressed();
        finishIfComplete();
        return;
    }
    if (m_chunkSource[size_t(index)] < 0) {
        m_chunks.markMissing(index); // damaged on disk: fetched like any missing chunk
        emit progressed();
        assignWork();
        return;
    }
    onBadChunk(index);
}

// A chunk that does not match came damaged from its source or on the way. With another
// source at hand that one is dropped for this file; otherwise the chunk is fetched again,
// a few times, before the download gives up.
void VerifiedDownload::onBadChunk(int index)
{
    const int source = m_chunkSource[size_t(index)];
    if (m_sources.agreedCount() > 1) {
        m_chunks.markMissing(index);
        dropSource(source, tr("it served chunk %1 damaged").arg(index), ErrorKind::RemoteError);
    } else if (!m_chunks.markBad(index)) {
        fail(ErrorKind::RemoteError,
             tr("%1: damaged in transit or at the source (chunk %2 failed its check %3 times); "
                "the %4 good chunks are kept for a retry")
                 .arg(m_url.path())
                 .arg(index)
                 .arg(m_chunks.failures(index))
                 .arg(m_chunks.verifiedCount()));
        return;
    }
    emit progressed();
    assignWork();
}

// The bytes of verified chunks reach the disk before the record that vouches for them.
void VerifiedDownload::recordVerified()
{
    if (!m_recordsDirty || !m_part.isOpen())
        return;
    QString error;
    auto meta = PartFile::readMeta(m_localPath).value_or(PartMeta{});
    meta.verified = m_chunks.verifiedRuns();
    if (!m_part.sync(&error) || !PartFile::writeMeta(m_localPath, meta, &error)) {
        if (!m_done)
            fail(ErrorKind::LocalError, error);
        return;
    }
    m_recordsDirty = false;
}

void VerifiedDownload::finishIfComplete()
{
    if (m_done || m_finishing || !m_chunks.isComplete())
        return;
    m_finishing = true;
    m_recordTimer.stop();
    recordVerified();
    stopAll();
    // Later, not inside the caller: start()'s manifest handler, a segment's signal.
    QMetaObject::invokeMethod(this, &VerifiedDownload::commit, Qt::QueuedConnection);
}

// Every chunk reached its entry from the one before, the first from SHA-256's initial state, so
// the last entry is the SHA-256 of the bytes in the .part, as this client hashed them (§10.5).
void VerifiedDownload::commit()
{
    if (m_done)
        return;
    const QByteArray digest = m_manifest.fileSha256();
    if (!m_expectedSha256.isEmpty() && digest != m_expectedSha256) {
        fail(ErrorKind::RemoteError, tr("%1: its SHA-256 is %2, not the expected %3; the file is kept as %4")
                                         .arg(m_url.path(), QString::fromLatin1(digest.toHex()),
                                              QString::fromLatin1(m_expectedSha256.toHex()),
                                              PartFile::partPathFor(m_localPath)));
        return;
    }
    QString commitError;
    m_recordsDirty = false; // commit() removes the records with the .part
    if (!m_part.commit(&commitError)) {
        fail(ErrorKind::LocalError, commitError);
        return;
    }
    m_done = true;
    emit completed(digest);
}

void VerifiedDownload::fail(ErrorKind kind, const QString &reason, Cause cause)
{
    if (m_done)
        return;
    m_recordsDirty = m_part.isOpen();
    stop();
    emit failed(kind, reason, cause);
}

ReadBudget VerifiedDownload::pace(qint64 wanted)
{
    if (m_hasher) {
        // Read only what the hashing ring can take. When the CPU is behind the network and the ring
        // nearly full, nothing until the hashing thread has freed a good part of it and says so
        // (resumeReading()); meanwhile TCP slows the sender. awaitRoom() looks at the room again
        // under the ring's lock, so room freed since the look here is not missed.
        const qint64 capacity = m_hasher->capacity();
        if (m_hasher->room() < std::min({wanted, MinHashRoom, capacity})
            && !m_hasher->awaitRoom(std::min(ResumeHashRoom, capacity)))
            return {0, ReadBudget::UntilResumed};
        wanted = std::min(wanted, m_hasher->room());
    }
    return m_pace ? m_pace(wanted) : ReadBudget{wanted, 0};
}

// The ring has room again: every segment that waited for it reads on (the others ignore it).
void VerifiedDownload::resumeReading()
{
    for (ChunkSegment *segment : m_segments)
        segment->resumeReading();
}

} // namespace ferry::client
