#include "chunksegment.h"

#include "chunkhasher.h"
#include "partfile.h"
#include "remoteentry_p.h"

#include <utility>

namespace ferry::client {

ChunkSegment::ChunkSegment(const FerryUrl &url, int source, const Manifest &manifest, qint64 mtimeNs,
                           PartFile *part, ChunkHasher *hasher, QObject *parent)
    : QObject(parent), m_url(url), m_source(source), m_manifest(manifest), m_mtimeNs(mtimeNs), m_part(part),
      m_hasher(hasher)
{
    m_manifest.digests.clear(); // only the geometry is needed here
}

ChunkSegment::~ChunkSegment() = default;

qint64 ChunkSegment::partialChunkBytes() const
{
    if (!m_bodyActive || m_cursor >= m_bodyEnd)
        return 0;
    return m_cursor - m_manifest.chunkOffset(m_manifest.chunkAt(m_cursor));
}

void ChunkSegment::start(Connection *connection)
{
    m_connection = connection ? connection : new Connection(this);
    m_connection->setParent(this);
    connect(m_connection, &Connection::ready, this, &ChunkSegment::onReady);
    connect(m_connection, &Connection::messageReceived, this, &ChunkSegment::onMessage);
    connect(m_connection, &Connection::failed, this,
            [this](ErrorKind kind, const QString &reason, int) { fail(kind, reason); });
    m_connection->setBodySink([this](const char *data, qint64 size) { return onBodyBytes(data, size); });
    m_connection->setBodyPacer([this](qint64 wanted) { return m_pacer ? m_pacer(wanted) : ReadBudget{wanted, 0}; });
    m_connection->setBodyBuffer([this](qint64 wanted) { return m_hasher->buffer(wanted); }); // no copy for the hasher
    if (connection)
        onReady();
    else
        m_connection->open(m_url.host(), m_url.port());
}

void ChunkSegment::setPacer(Connection::BodyPacer pacer)
{
    m_pacer = std::move(pacer);
}

void ChunkSegment::resumeReading()
{
    if (m_connection)
        m_connection->resumeReading();
}

void ChunkSegment::onReady()
{
    m_ready = true;
    m_connection->setExpectingReply(false);
    emit idle();
}

void ChunkSegment::fetch(const ChunkRange &range)
{
    m_range = range;
    m_cursor = m_manifest.chunkOffset(range.first);
    m_bodyEnd = m_manifest.chunkOffset(range.end() - 1) + m_manifest.chunkLength(range.end() - 1);
    m_connection->setExpectingReply(true);
    m_connection->send(
        proto::GetRequest{m_url.path().toStdString(), uint64_t(m_cursor), uint64_t(m_bodyEnd - m_cursor)});
}

Connection *ChunkSegment::takeConnection()
{
    if (!isIdle() || !m_connection)
        return nullptr;
    disconnect(m_connection, nullptr, this, nullptr);
    m_connection->setBodySink(nullptr); // the lambdas name this segment
    m_connection->setBodyPacer(nullptr);
    m_connection->setBodyBuffer(nullptr);
    m_connection->setParent(nullptr);
    m_ready = false;
    return std::exchange(m_connection, nullptr);
}

void ChunkSegment::onMessage(const proto::Message &message)
{
    if (const auto *body = std::get_if<proto::Body>(&message))
        onBody(*body);
    else if (const auto *end = std::get_if<proto::BodyEnd>(&message))
        onBodyEnd(*end);
    else if (const auto *error = std::get_if<proto::Error>(&message))
        fail(kindOf(*error), remoteErrorText(*error, m_url.path()), error->code == proto::ErrorCode::FileChanged);
    else
        fail(ErrorKind::ProtocolError, tr("unexpected answer to GET from %1").arg(m_url.host()));
}

void ChunkSegment::onBody(const proto::Body &body)
{
    if (!m_range || m_bodyActive) {
        fail(ErrorKind::ProtocolError, tr("BODY from %1 without a GET").arg(m_url.host()));
        return;
    }
    if (qint64(body.fileSize) != m_manifest.fileSize || body.mtimeNs != m_mtimeNs) {
        fail(ErrorKind::RemoteError, tr("%1 changed on %2 during the download").arg(m_url.path(), m_url.host()), true);
        return;
    }
    if (qint64(body.offset) != m_cursor || qint64(body.offset + body.length) != m_bodyEnd) {
        fail(ErrorKind::ProtocolError, tr("%1 sent a different range than asked for").arg(m_url.host()));
        return;
    }
    m_bodyActive = true;
}

// Bytes go to disk first and to the hasher second: a chunk reported as hashed is on disk
// (in the page cache at least; VerifiedDownload syncs before it records it).
bool ChunkSegment::onBodyBytes(const char *data, qint64 size)
{
    if (!m_bodyActive || size > m_bodyEnd - m_cursor) {
        fail(ErrorKind::ProtocolError, tr("body bytes from %1 outside an announced body").arg(m_url.host()));
        return false;
    }
    QString error;
    if (!m_part->writeAt(m_cursor, data, size, &error)) {
        fail(ErrorKind::LocalError, error);
        return false;
    }
    m_hasher->add(m_cursor, data, size);
    const int before = m_manifest.chunkAt(m_cursor);
    m_cursor += size;
    // Every chunk this block completed (a block may finish several small ones), before the
    // bytes are counted: progress counts arrived chunks whole, so it never steps back.
    const int doneUpTo = m_cursor == m_manifest.fileSize ? m_manifest.chunkAt(m_cursor - 1) + 1
                                                         : m_manifest.chunkAt(m_cursor);
    for (int index = before; index < doneUpTo; ++index)
        emit chunkArrived(index);
    emit bytesWritten(size);
    return true;
}

void ChunkSegment::onBodyEnd(const proto::BodyEnd &end)
{
    if (!std::exchange(m_bodyActive, false)) {
        fail(ErrorKind::ProtocolError, tr("BODY_END from %1 without a BODY").arg(m_url.host()));
        return;
    }
    if (end.code != proto::ErrorCode::Ok) {
        const proto::Error error{end.code, end.message};
        fail(kindOf(error), remoteErrorText(error, m_url.path()), end.code == proto::ErrorCode::FileChanged);
        return;
    }
    if (m_cursor != m_bodyEnd) {
        fail(ErrorKind::ProtocolError, tr("the body from %1 ended early").arg(m_url.host()));
        return;
    }
    m_range.reset();
    m_connection->setExpectingReply(false);
    emit idle();
}

void ChunkSegment::fail(ErrorKind kind, const QString &reason, bool fileChanged)
{
    if (m_connection)
        m_connection->abort();
    m_ready = false;
    m_bodyActive = false;
    emit failed(kind, reason, fileChanged);
}

} // namespace ferry::client
