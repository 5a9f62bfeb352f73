// VerifiedDownload's sources and segments: mirrors joining once their manifest agrees,
// up to `streams` connections per source, runs of chunks handed to idle segments, and a
// source dropped for this file when it disagrees, serves a bad chunk or stops answering. A source whose
// identity no longer matches its pin ends the whole download: that is a hard stop, not a lost mirror.
#include "verifieddownload.h"

#include "chunkhasher.h"
#include "chunksegment.h"
#include "connectionpool.h"
#include "manifestfetch.h"

#include <algorithm>

namespace ferry::client {

namespace {

// A run of chunks is one GET: long enough that the request round trip is noise, short
// enough that the segments finish close together (at most 16 chunks: 64 MiB of 4 MiB).
constexpr int MaxBatchChunks = 16;
// A lost connection is replaced after this long times the source's failures in a row.
constexpr int ReconnectDelayMs = 300;

} // namespace

void VerifiedDownload::startSources(Connection *primary)
{
    addSegments(0, primary);
    for (int source = 1; source < m_sources.count(); ++source)
        startMirror(source);
    assignWork();
}

// A mirror is asked for its own manifest first; it serves chunks only once that agrees.
void VerifiedDownload::startMirror(int source)
{
    const FerryUrl url = m_sources.at(source).url;
    auto *connection = new Connection(this);
    connect(connection, &Connection::failed, this,
            [this, source, connection](ErrorKind kind, const QString &reason, int) {
                connection->deleteLater();
                if (m_done)
                    return;
                if (kind == ErrorKind::IdentityChanged) {
                    fail(kind, reason); // a hard stop for the whole file, however well the others serve it
                    return;
                }
                // A port that does not speak Ferry (or refuses the client) answers the same way next time.
                const bool worthRetrying = kind == ErrorKind::ConnectionError || kind == ErrorKind::ServerBusy;
                if (!worthRetrying || m_sources.noteFailure(source, reason))
                    dropSource(source, reason, kind);
                else
                    QTimer::singleShot(ReconnectDelayMs * m_sources.at(source).failures, this, [this, source] {
                        if (!m_done)
                            startMirror(source);
                    });
            });
    connect(connection, &Connection::ready, this, [this, source, connection, url] {
        disconnect(connection, nullptr, this, nullptr);
        if (m_done)
            return;
        if (!ManifestFetch::isOffered(*connection)) {
            connection->deleteLater();
            dropSource(source, tr("it offers no manifest, so its chunks cannot be checked"), ErrorKind::RemoteError);
            return;
        }
        auto *fetch = new ManifestFetch(connection, url.path(), this);
        connect(fetch, &ManifestFetch::received, this, [this, source, connection, fetch](const Manifest &manifest) {
            fetch->deleteLater();
            onMirrorManifest(source, connection, manifest);
        });
        connect(fetch, &ManifestFetch::failed, this,
                [this, source, connection, fetch](ErrorKind kind, const QString &reason, int) {
                    fetch->deleteLater();
                    connection->deleteLater();
                    dropSource(source, reason, kind);
                });
        fetch->start();
    });
    connection->open(url.host(), url.port());
}

void VerifiedDownload::onMirrorManifest(int source, Connection *connection, const Manifest &manifest)
{
    if (m_done) {
        connection->deleteLater();
        return;
    }
    if (const auto refused = m_sources.agree(source, manifest, ManifestFetch::streamsOffered(*connection))) {
        connection->deleteLater();
        emit sourceDropped(*refused);
        return;
    }
    addSegments(source, connection);
    assignWork();
}

// As many segments as the source allows (and the client's cap), never more than there
// are chunks left to fetch; the first on the connection that fetched the manifest.
void VerifiedDownload::addSegments(int source, Connection *first)
{
    const int wanted = std::min({m_sources.at(source).streams, m_maxStreams, std::max(m_chunks.missingCount(), 1)});
    openSegment(source, first);
    for (int i = 1; i < wanted; ++i)
        openSegment(source, nullptr);
}

ChunkSegment *VerifiedDownload::openSegment(int source, Connection *connection)
{
    const SourceSet::Source &from = m_sources.at(source);
    auto *segment = new ChunkSegment(from.url, source, m_manifest, from.mtimeNs, &m_part, m_hasher.get(), this);
    segment->setPacer([this](qint64 wanted) { return pace(wanted); });
    connect(segment, &ChunkSegment::idle, this, &VerifiedDownload::assignWork);
    connect(segment, &ChunkSegment::chunkArrived, this, [this](int index) { m_chunks.markArrived(index); });
    connect(segment, &ChunkSegment::bytesWritten, this, [this, source](qint64 bytes) {
        m_sources.noteProgress(source);
        if (m_consume)
            m_consume(bytes);
        emit progressed();
    });
    connect(segment, &ChunkSegment::failed, this,
            [this, segment](ErrorKind kind, const QString &reason, bool fileChanged) {
                onSegmentFailed(segment, kind, reason, fileChanged);
            });
    m_segments.push_back(segment);
    segment->start(connection);
    return segment;
}

void VerifiedDownload::onSegmentFailed(ChunkSegment *segment, ErrorKind kind, const QString &reason, bool fileChanged)
{
    const int source = segment->source();
    stopSegment(segment);
    if (m_done)
        return;
    m_lastErrorKind = kind;
    m_lastError = reason;
    if (kind == ErrorKind::LocalError || kind == ErrorKind::IdentityChanged) {
        fail(kind, reason);
    } else if (fileChanged && m_sources.agreedCount() <= 1) {
        fail(kind, reason, Cause::FileChanged);
    } else if (kind != ErrorKind::ConnectionError && kind != ErrorKind::ServerBusy) {
        dropSource(source, fileChanged ? tr("the file changed there") : reason, kind);
    } else if (m_sources.noteFailure(source, reason)) {
        dropSource(source, reason, kind);
    } else {
        QTimer::singleShot(ReconnectDelayMs * m_sources.at(source).failures, this, [this, source] {
            if (!m_done && !m_finishing && m_sources.isAgreed(source))
                openSegment(source, nullptr);
        });
    }
}

// Stops every segment of `source`; the download goes on with the others, or fails when
// none is left (with the last error seen, so a job retries a lost server as usual).
void VerifiedDownload::dropSource(int source, const QString &reason, ErrorKind kind)
{
    if (m_done)
        return;
    m_sources.drop(source, reason);
    const auto segments = m_segments;
    for (ChunkSegment *segment : segments) {
        if (segment->source() == source)
            stopSegment(segment);
    }
    if (m_sources.count() > 1)
        emit sourceDropped(m_sources.at(source).dropReason);
    if (!m_sources.hasLiveSource()) {
        fail(kind, m_sources.count() > 1
                       ? tr("%1: no server is left: %2").arg(m_url.path(), droppedSources().join(QLatin1String("; ")))
                       : reason);
        return;
    }
    assignWork();
}

void VerifiedDownload::stopSegment(ChunkSegment *segment)
{
    if (const auto range = segment->range()) {
        for (int i = range->first; i < range->end(); ++i) {
            if (m_chunks.state(i) == ChunkMap::ChunkState::Fetching)
                m_hasher->discard(i);
        }
        m_chunks.release(*range);
    }
    disconnect(segment, nullptr, this, nullptr);
    m_segments.erase(std::remove(m_segments.begin(), m_segments.end(), segment), m_segments.end());
    if (m_pool && segment->isIdle())
        m_pool->give(segment->takeConnection());
    segment->deleteLater();
}

void VerifiedDownload::assignWork()
{
    if (m_done || m_finishing)
        return;
    const auto segments = m_segments;
    for (ChunkSegment *segment : segments) {
        if (!segment->isIdle())
            continue;
        const auto range = m_chunks.claim(batchSize());
        if (!range)
            return;
        for (int i = range->first; i < range->end(); ++i)
            m_chunkSource[size_t(i)] = segment->source();
        segment->fetch(*range);
    }
}

// Runs shrink as the missing chunks do, so that near the end no segment holds a long run
// while the others stand idle (with sources of equal speed, they finish within a chunk).
int VerifiedDownload::batchSize() const
{
    const int segments = std::max<int>(1, int(m_segments.size()));
    return std::clamp(m_chunks.missingCount() / (2 * segments), 1, MaxBatchChunks);
}

void VerifiedDownload::stopAll()
{
    const auto segments = m_segments;
    for (ChunkSegment *segment : segments)
        stopSegment(segment);
}

} // namespace ferry::client
