// DownloadJob's verified path: hands the connection to a VerifiedDownload when the server
// offers manifests, and maps its outcome onto the job's states, retries and restarts.
#include "downloadjob.h"

#include "connection.h"
#include "manifestfetch.h"
#include "verifieddownload.h"

namespace ferry::client {

// Standard output and devices are written in order without a part (nothing to pwrite
// into), and an adopted file of the user's is resumed by size as before: preallocating
// it to the full size would change the user's file if the job gave it back.
bool DownloadJob::useVerifiedPath() const
{
    return m_connection && m_verify && !m_manifestRefused && !m_partIsUsersFile
           && !PartFile::isStreamTarget(m_localPath) && ManifestFetch::isOffered(*m_connection);
}

void DownloadJob::startVerified()
{
    m_droppedSources = m_passedOver; // every mirror in play gets a new chance in a new attempt
    Connection *connection = std::exchange(m_connection, nullptr);
    disconnect(connection, nullptr, this, nullptr);
    connection->setBodySink({});
    connection->setBodyPacer({});
    // The server of the list this attempt reached; the others may hold the .part's chunks.
    auto *download =
        new VerifiedDownload(m_url.withServers({currentServer()}), m_mirrors.mid(m_mirrorInUse + 1), m_localPath, this);
    m_verifiedDownload = download;
    download->setFleet(m_servers);
    download->setConnectionPool(m_pool);
    download->setMaxStreams(m_maxStreams);
    download->setExpectedSha256(m_expectedSha256);
    download->setPacing([this](qint64 wanted) { return paceBody(wanted); },
                        [this](qint64 bytes) {
                            const qint64 now = RateLimiter::nowMs();
                            m_speedLimit.consume(bytes, now);
                            if (m_sharedLimiter)
                                m_sharedLimiter->consume(bytes, now);
                            m_progressedThisAttempt = true;
                        });
    connect(download, &VerifiedDownload::statusChanged, this, &DownloadJob::setStatusText);
    connect(download, &VerifiedDownload::transferring, this, [this, download] {
        m_reusedConnection = false;
        m_totalBytes = download->totalBytes();
        m_receivedBytes = m_resumedFrom = download->resumedFrom();
        m_speed.reset();
        m_speed.addSample(m_clock.elapsed(), m_receivedBytes);
        setState(State::Transferring);
        m_progressDirty = true;
        flushProgress();
    });
    connect(download, &VerifiedDownload::progressed, this, [this, download] {
        m_receivedBytes = download->receivedBytes();
        markProgress();
    });
    connect(download, &VerifiedDownload::sourceDropped, this, [this](const QString &reason) {
        m_droppedSources << reason;
        emit sourceDropped(reason);
    });
    connect(download, &VerifiedDownload::completed, this, &DownloadJob::onVerifiedCompleted);
    connect(download, &VerifiedDownload::failed, this, &DownloadJob::onVerifiedFailed);
    download->start(connection);
}

void DownloadJob::onVerifiedFailed(ErrorKind kind, const QString &reason, VerifiedDownload::Cause cause)
{
    // With the manifest in, the mirrors were in play already: none is left to pass the file to.
    const bool mirrorsTried = m_verifiedDownload->totalBytes() >= 0 && !m_mirrors.isEmpty();
    std::exchange(m_verifiedDownload, nullptr)->deleteLater();
    if (m_reusedConnection && kind == ErrorKind::ConnectionError) {
        m_reusedConnection = false; // a pooled connection the server had closed: not a failure
        attachConnection(new Connection(this));
        m_connection->open(currentServer().host, currentServer().port);
        return;
    }
    switch (cause) {
    case VerifiedDownload::Cause::Unsupported:
        m_manifestRefused = true;
        beginAttempt();
        break;
    case VerifiedDownload::Cause::FileChanged:
        restartFromZero();
        break;
    case VerifiedDownload::Cause::OtherVersion:
        onOtherVersion(reason);
        break;
    case VerifiedDownload::Cause::Other:
        if (mirrorsTried && kind == ErrorKind::ProtocolError)
            fail(kind, reason); // its "no server is left" names them
        else
            failAttempt(kind, reason);
        break;
    }
}

void DownloadJob::onVerifiedCompleted(const QByteArray &sha256)
{
    std::exchange(m_verifiedDownload, nullptr)->deleteLater();
    setState(State::Finishing);
    m_sha256 = sha256;
    m_verified = true;
    m_receivedBytes = m_totalBytes;
    m_progressDirty = true;
    setStatusText(tr("Verified"));
    finishAs(State::Done);
}

} // namespace ferry::client
