// DownloadJob's side of the conversation: GET, BODY, the raw bytes, BODY_END.
#include "downloadjob.h"

#include "connection.h"
#include "remoteentry_p.h"

#include <QLocale>

#include <algorithm>
#include <utility>

namespace ferry::client {

// With a part to resume, first proves it is a prefix of the remote file: the SHA-256
// of its last block must equal the server's digest of the same range. Size and mtime
// (checked again at BODY) catch most changes; this also catches a part that was
// damaged, or a file rewritten with its old size and mtime, for one small round trip.
void DownloadJob::onConnected()
{
    if (!m_reusedConnection)
        emit serverReached(); // a pooled connection proves nothing until it answers
    if (useVerifiedPath()) {
        startVerified();
        return;
    }
    qint64 partSize = PartFile::partSize(m_localPath);
    m_partMeta = PartFile::readMeta(m_localPath);
    if (m_partMeta && m_partMeta->chunkSize > 0) // a verified download's part, full size from the start
        partSize = PartFile::verifiedPrefix(*m_partMeta);
    const bool resumable = partSize > 0 && (m_partMeta || m_partIsUsersFile);
    m_requestOffset = resumable ? partSize : 0;
    m_connection->setExpectingReply(true);
    if (m_requestOffset == 0) {
        sendGet();
        return;
    }
    const qint64 tail = std::min<qint64>(m_requestOffset, VerifyTailBytes);
    m_tailDigest = PartFile::digestOfRange(m_localPath, m_requestOffset - tail, tail);
    if (m_tailDigest.isEmpty()) {
        restartFromZero(); // the part cannot even be read back: do not build on it
        return;
    }
    m_awaitingDigest = true;
    m_connection->send(proto::DigestRequest{m_url.path().toStdString(), proto::DigestAlgo::Sha256,
                                            uint64_t(m_requestOffset - tail), uint64_t(tail)});
    setStatusText(tr("Checking the partial file"));
}

void DownloadJob::sendGet()
{
    m_awaitingDigest = false;
    m_connection->send(proto::GetRequest{m_url.path().toStdString(), uint64_t(m_requestOffset), proto::ToEnd});
    setStatusText(m_requestOffset > 0 ? tr("Resuming at %1").arg(QLocale().formattedDataSize(m_requestOffset))
                                      : tr("Requesting"));
}

void DownloadJob::onDigest(const proto::DigestReply &reply)
{
    if (!m_awaitingDigest) {
        failAttempt(ErrorKind::ProtocolError, tr("unexpected DIGEST_REPLY from the server"));
        return;
    }
    if (QByteArray::fromStdString(reply.digest) != m_tailDigest) {
        restartFromZero(); // the part is not a prefix of the remote file
        return;
    }
    sendGet();
}

void DownloadJob::onMessage(const proto::Message &message)
{
    m_reusedConnection = false; // the server answered: this connection works
    if (const auto *body = std::get_if<proto::Body>(&message)) {
        onBody(*body);
    } else if (const auto *end = std::get_if<proto::BodyEnd>(&message)) {
        onBodyEnd(*end);
    } else if (const auto *digest = std::get_if<proto::DigestReply>(&message)) {
        onDigest(*digest);
    } else if (const auto *error = std::get_if<proto::Error>(&message)) {
        onError(*error);
    } else {
        failAttempt(ErrorKind::ProtocolError, tr("unexpected answer to GET from the server"));
    }
}

void DownloadJob::onError(const proto::Error &error)
{
    if (error.code == proto::ErrorCode::RangeNotSatisfiable && m_requestOffset > 0) {
        restartFromZero(); // the part is longer than the file: it cannot be a prefix of it
        return;
    }
    if (error.code == proto::ErrorCode::Unsupported && m_awaitingDigest) {
        sendGet(); // a server without digests: size and mtime must do
        return;
    }
    failAttempt(kindOf(error), remoteErrorText(error, m_url.path()));
}

bool DownloadJob::partMatches(const proto::Body &body) const
{
    if (m_requestOffset == 0)
        return true;
    if (m_partMeta)
        return qint64(body.fileSize) == m_partMeta->size && body.mtimeNs == m_partMeta->mtimeNs;
    return m_partIsUsersFile && qint64(body.fileSize) >= m_requestOffset;
}

void DownloadJob::onBody(const proto::Body &body)
{
    if (!partMatches(body)) {
        restartFromZero(); // the remote file changed since the part was written
        return;
    }
    if (qint64(body.offset) != m_requestOffset || body.offset + body.length != body.fileSize) {
        failAttempt(ErrorKind::ProtocolError, tr("the server sent a different range than asked for"));
        return;
    }
    QString error;
    const PartMeta meta{m_url.toString(), qint64(body.fileSize), body.mtimeNs};
    // open() first: it creates a missing destination folder, which the metadata needs too.
    if (!m_part.open(m_localPath, m_requestOffset, &error) || !PartFile::writeMeta(m_localPath, meta, &error)) {
        fail(ErrorKind::LocalError, error);
        return;
    }
    m_totalBytes = qint64(body.fileSize);
    m_receivedBytes = m_resumedFrom = m_requestOffset;
    m_bodyExpected = qint64(body.length);
    m_bodyActive = true;
    m_speed.reset();
    m_speed.addSample(m_clock.elapsed(), m_receivedBytes);
    setStatusText(QString());
    setState(State::Transferring);
    m_progressDirty = true;
    flushProgress();
}

void DownloadJob::setSpeedLimit(qint64 bytesPerSecond)
{
    m_speedLimit.setBytesPerSecond(bytesPerSecond, RateLimiter::nowMs());
}

// The smaller of this download's allowance and the shared one.
ReadBudget DownloadJob::paceBody(qint64 wanted)
{
    const qint64 now = RateLimiter::nowMs();
    qint64 bytes = m_speedLimit.allowance(now, wanted);
    if (bytes == 0)
        return {0, m_speedLimit.waitMs(now)};
    if (m_sharedLimiter) {
        bytes = m_sharedLimiter->allowance(now, bytes);
        if (bytes == 0)
            return {0, m_sharedLimiter->waitMs(now)};
    }
    return {bytes, 0};
}

bool DownloadJob::onBodyBytes(const char *data, qint64 size)
{
    if (!m_bodyActive || size > m_bodyExpected) {
        failAttempt(ErrorKind::ProtocolError, tr("body bytes outside an announced body"));
        return false;
    }
    QString error;
    if (!m_part.write(data, size, &error)) {
        fail(ErrorKind::LocalError, error);
        return false;
    }
    m_receivedBytes += size;
    m_bodyExpected -= size;
    const qint64 now = RateLimiter::nowMs();
    m_speedLimit.consume(size, now);
    if (m_sharedLimiter)
        m_sharedLimiter->consume(size, now);
    m_progressedThisAttempt = true;
    markProgress();
    return true;
}

void DownloadJob::onBodyEnd(const proto::BodyEnd &end)
{
    // Checked first: the byte counters may still hold an earlier attempt's values.
    if (!std::exchange(m_bodyActive, false)) {
        failAttempt(ErrorKind::ProtocolError, tr("BODY_END without a BODY from the server"));
        return;
    }
    if (end.code == proto::ErrorCode::FileChanged) {
        restartFromZero();
        return;
    }
    if (end.code != proto::ErrorCode::Ok) {
        failAttempt(kindOf(proto::Error{end.code, end.message}),
                    remoteErrorText(proto::Error{end.code, end.message}, m_url.path()));
        return;
    }
    if (m_bodyExpected != 0 || m_receivedBytes != m_totalBytes) {
        failAttempt(ErrorKind::ProtocolError, tr("the body ended early"));
        return;
    }
    completeDownload();
}

void DownloadJob::completeDownload()
{
    setState(State::Finishing);
    setStatusText(tr("Finishing"));
    releaseConnection(); // the part stays open: commit() fsyncs it
    m_bodyActive = false;
    QString error;
    if (!m_part.commit(&error)) {
        fail(ErrorKind::LocalError, error);
        return;
    }
    m_partIsUsersFile = false; // it is the finished download now
    setStatusText(tr("Done"));
    finishAs(State::Done);
}

} // namespace ferry::client
