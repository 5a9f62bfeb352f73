// One file fetched chunk by chunk, every chunk checked against the server's manifest.
#pragma once

#include "chunkmap.h"
#include "clienttypes.h"
#include "connection.h"
#include "ferryurl.h"
#include "manifest.h"
#include "partfile.h"
#include "serverlist.h"
#include "sourceset.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace ferry::client {

class ChunkHasher;
class ChunkSegment;
class ConnectionPool;

// The verified path of a DownloadJob, used when the server offers `manifest` (PROTOCOL.md
// §10): fetch the manifest, prepare the .part at its full size, keep the chunks its
// metadata records as verified, and fetch the others over up to `streams` connections per
// source (the job's server and its mirrors), each chunk hashed off the event loop's thread
// as it arrives. A chunk that fails its digest is fetched again (from another source when
// there is one, dropping the one that sent it) up to ChunkMap::MaxRefetches times; then the
// download fails "damaged in transit or at the source", keeping every good chunk. The .part
// is renamed into place only when every chunk matched its entry (and so the root, which the
// manifest was checked against); the entries are SHA-256 chain states (§10.5), so the last one
// is then the whole file's SHA-256, without another pass over the file.
//
// Verified chunks are recorded in the .part metadata about once a second, each time after
// an fdatasync, so a crash, a kill -9 or a lost server costs only the chunks in flight. A
// .part whose metadata records no chunks (written by the unverified path, or older) is
// re-checked from disk chunk by chunk: a part damaged in its middle keeps its good chunks.
//
// Deleting the object stops every transfer and records what is verified (a pause).
class VerifiedDownload : public QObject
{
    Q_OBJECT
public:
    using Consume = std::function<void(qint64 bytes)>;
    // Why an attempt failed, beyond its ErrorKind: what the job does next depends on it.
    enum class Cause {
        Other,        // retried as the ErrorKind says
        FileChanged,  // the file is not the one the .part was cut from, on the same server: start over
        Unsupported,  // the server refused MANIFEST after all: use the unverified path
        OtherVersion, // another server of the job's list has a different version: the .part is kept
    };
    // A client-side cap on connections per source, whatever a server allows.
    static constexpr int MaxStreamsPerSource = 8;

    // `url` names the one server `start()`'s connection is open to; `mirrors`: other servers with the
    // same file at the same path.
    VerifiedDownload(const FerryUrl &url, const QList<FerryUrl> &mirrors, const QString &localPath,
                     QObject *parent = nullptr);
    ~VerifiedDownload() override;

    // The job's speed limits: `pace` how much may be read now, `consume` what was read.
    void setPacing(Connection::BodyPacer pace, Consume consume);
    void setConnectionPool(ConnectionPool *pool) { m_pool = pool; }
    void setMaxStreams(int streams) { m_maxStreams = std::clamp(streams, 1, MaxStreamsPerSource); }
    // A SHA-256 (raw bytes) published elsewhere that the whole file must have.
    void setExpectedSha256(const QByteArray &digest) { m_expectedSha256 = digest; }
    // The servers of the job's list (`url`'s among them). A .part whose verified chunks came from
    // another of them, of a file whose manifest differs here (root, size or chunk size), is not
    // discarded: the attempt fails with Cause::OtherVersion and the part stays as it is, because the
    // fleet disagrees (a stale copy) rather than the file having changed.
    void setFleet(const QList<ServerAddress> &servers) { m_fleet = servers; }

    // Starts on `connection` (ready, offering `manifest`); takes it over.
    void start(Connection *connection);
    // Stops every transfer, records what is verified and closes the .part; no signal
    // follows. The destructor does it too.
    void stop();

    qint64 totalBytes() const { return m_haveManifest ? m_manifest.fileSize : -1; }
    // Verified and arrived chunks plus what active segments have of their current chunk.
    qint64 receivedBytes() const;
    // What the .part already held, verified, when this attempt began.
    qint64 resumedFrom() const { return m_resumedFrom; }
    int activeSegments() const;
    QStringList droppedSources() const { return m_sources.dropReasons(); }

signals:
    void statusChanged(const QString &text);
    // The manifest is in and the .part ready: bytes flow from now on.
    void transferring();
    void progressed();
    void sourceDropped(const QString &reason);
    // The verified file is in place; `sha256` is the whole file's digest.
    void completed(const QByteArray &sha256);
    void failed(ferry::client::ErrorKind kind, const QString &reason, ferry::client::VerifiedDownload::Cause cause);

private:
    void onManifest(const Manifest &manifest);
    bool preparePart();
    std::optional<QString> otherVersion(const PartMeta &meta) const;
    void adoptRecords(const std::optional<PartMeta> &meta);
    void onChunkHashed(int index, const QByteArray &digest);
    void onBadChunk(int index);
    void recordVerified();
    void finishIfComplete();
    void commit();
    void fail(ErrorKind kind, const QString &reason, Cause cause = Cause::Other);
    ReadBudget pace(qint64 wanted);
    void resumeReading();

    // Sources and segments (verifieddownloadsources.cpp).
    void startSources(Connection *primary);
    void startMirror(int source);
    void onMirrorManifest(int source, Connection *connection, const Manifest &manifest);
    void addSegments(int source, Connection *first);
    ChunkSegment *openSegment(int source, Connection *connection);
    void onSegmentFailed(ChunkSegment *segment, ErrorKind kind, const QString &reason, bool fileChanged);
    void dropSource(int source, const QString &reason, ErrorKind kind);
    void stopSegment(ChunkSegment *segment);
    void assignWork();
    int batchSize() const;
    void stopAll();

    FerryUrl m_url;
    QString m_localPath;
    SourceSet m_sources;
    ConnectionPool *m_pool = nullptr;
    int m_maxStreams = MaxStreamsPerSource;
    QByteArray m_expectedSha256;
    QList<ServerAddress> m_fleet;
    Connection::BodyPacer m_pace;
    Consume m_consume;

    Manifest m_manifest;
    bool m_haveManifest = false;
    PartFile m_part;
    ChunkMap m_chunks;
    std::vector<int> m_chunkSource; // which source a chunk in flight came from
    std::unique_ptr<ChunkHasher> m_hasher;
    std::vector<ChunkSegment *> m_segments;
    QTimer m_recordTimer;
    bool m_recordsDirty = false;
    qint64 m_resumedFrom = 0;
    qint64 m_uncheckedPrefix = 0; // bytes of a .part without records, to re-check from disk
    bool m_finishing = false;
    bool m_done = false; // completed or failed: no more signals
    ErrorKind m_lastErrorKind = ErrorKind::ConnectionError;
    QString m_lastError;
};

} // namespace ferry::client
