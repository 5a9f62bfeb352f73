// One connection of a verified download, fetching runs of chunks into the shared .part.
#pragma once

#include "chunkmap.h"
#include "clienttypes.h"
#include "connection.h"
#include "ferryurl.h"
#include "manifest.h"

#include "protocol/messages.h"

#include <QObject>
#include <QString>

#include <optional>

namespace ferry::client {

class ChunkHasher;
class PartFile;

// A segment owns one Connection to one source and fetches what VerifiedDownload gives it:
// a run of chunks, asked for with one GET (offset, length), written with pwrite at their
// place in the preallocated .part and handed to the ChunkHasher as they pass. It checks
// that BODY names the file its source's manifest describes (size and mtime): anything
// else is the file changing under the download.
//
// idle() asks for the next run; a segment that gets none stays connected and idle.
// failed() ends it: the owner releases its run (ChunkMap::release) and deletes it.
class ChunkSegment : public QObject
{
    Q_OBJECT
public:
    // `manifest` gives the geometry; `mtimeNs` is this source's own (mirrors may differ).
    // `part` and `hasher` are the download's and outlive the segment.
    ChunkSegment(const FerryUrl &url, int source, const Manifest &manifest, qint64 mtimeNs, PartFile *part,
                 ChunkHasher *hasher, QObject *parent = nullptr);
    ~ChunkSegment() override;

    int source() const { return m_source; }
    FerryUrl url() const { return m_url; }
    // The run it is fetching (empty when idle).
    std::optional<ChunkRange> range() const { return m_range; }
    bool isIdle() const { return m_ready && !m_range; }
    // Bytes received of the chunk now arriving (not yet complete, so not yet hashed).
    qint64 partialChunkBytes() const;

    // Adopts `connection` (ready, between requests), or opens its own when null.
    void start(Connection *connection = nullptr);
    void setPacer(Connection::BodyPacer pacer);
    // The pacer answered ReadBudget::UntilResumed and may now be asked again.
    void resumeReading();
    // Fetches `range` (the segment must be idle).
    void fetch(const ChunkRange &range);
    // An idle segment's connection, handed over for a pool (the segment is spent after).
    Connection *takeConnection();

signals:
    void idle();
    void chunkArrived(int index);
    void bytesWritten(qint64 bytes);
    // `fileChanged`: the source's BODY named another size or mtime than its manifest.
    void failed(ferry::client::ErrorKind kind, const QString &reason, bool fileChanged);

private:
    void onReady();
    void onMessage(const ferry::proto::Message &message);
    void onBody(const ferry::proto::Body &body);
    void onBodyEnd(const ferry::proto::BodyEnd &end);
    bool onBodyBytes(const char *data, qint64 size);
    void fail(ErrorKind kind, const QString &reason, bool fileChanged = false);

    FerryUrl m_url;
    int m_source;
    Manifest m_manifest; // geometry only
    qint64 m_mtimeNs;
    PartFile *m_part;
    ChunkHasher *m_hasher;
    Connection *m_connection = nullptr;
    Connection::BodyPacer m_pacer;
    bool m_ready = false;
    std::optional<ChunkRange> m_range;
    qint64 m_cursor = 0; // next file offset the body brings
    qint64 m_bodyEnd = 0;
    bool m_bodyActive = false;
};

} // namespace ferry::client
