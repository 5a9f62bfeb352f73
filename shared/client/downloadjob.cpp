#include "downloadjob.h"

#include "collision.h"
#include "connection.h"
#include "connectionpool.h"
#include "remoteentry_p.h"
#include "verifieddownload.h"

#include <QFile>
#include <QFileInfo>
#include <QLocale>

#include <atomic>
#include <utility>

namespace ferry::client {

namespace {

// Coalescing: a progress signal at most this often (the ~10 updates a second a view
// can show), plus a heartbeat so that a stalled transfer's speed visibly drops to 0.
constexpr int ProgressIntervalMs = 100;
constexpr int HeartbeatMs = 1000;
// A file that changes under every attempt is not going to settle: give up after this many.
constexpr int MaxRestarts = 5;

} // namespace

DownloadJob::DownloadJob(const FerryUrl &url, const QString &localPath, ExistingFilePolicy policy, QObject *parent)
    : QObject(parent), m_id(nextId()), m_url(url), m_localPath(localPath), m_policy(policy)
{
    // Precise timers: a coarse one may fire 5 % late (1.5 s of a 30 s wait) and the countdown would
    // stand at 0 meanwhile, or start at 31.
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_retryTimer, &QTimer::timeout, this, [this] {
        stopWaiting();
        beginAttempt();
    });
    m_waitTicker.setSingleShot(true);
    m_waitTicker.setTimerType(Qt::PreciseTimer);
    connect(&m_waitTicker, &QTimer::timeout, this, &DownloadJob::updateWaitText);
    m_progressTimer.setSingleShot(true);
    m_progressTimer.setInterval(ProgressIntervalMs);
    connect(&m_progressTimer, &QTimer::timeout, this, &DownloadJob::flushProgress);
    m_heartbeat.setInterval(HeartbeatMs);
    connect(&m_heartbeat, &QTimer::timeout, this, [this] {
        if (m_clock.elapsed() - m_lastProgressMs >= HeartbeatMs) {
            m_progressDirty = true;
            flushProgress();
        }
    });
    m_clock.start();
    m_statusText = tr("Queued");
}

DownloadJob::~DownloadJob() = default;

quint64 DownloadJob::nextId()
{
    static std::atomic<quint64> counter{0};
    return ++counter;
}

void DownloadJob::setUrl(const FerryUrl &url)
{
    m_url = url;
    m_servers.clear(); // resolved again from the new URL at the next attempt
    m_serverIndex = 0;
    m_mirrorInUse = -1;
    m_passedOver.clear();
}

QString DownloadJob::fileName() const
{
    return QFileInfo(m_localPath).fileName();
}

bool DownloadJob::isActive() const
{
    return m_state == State::Connecting || m_state == State::Transferring || m_state == State::Finishing;
}

bool DownloadJob::isFinished() const
{
    return m_state == State::Done || m_state == State::Failed || m_state == State::Canceled;
}

qint64 DownloadJob::bytesPerSecond() const
{
    return m_state == State::Transferring ? m_speed.bytesPerSecond(m_clock.elapsed()) : 0;
}

qint64 DownloadJob::etaSeconds() const
{
    if (m_totalBytes < 0 || m_state != State::Transferring)
        return -1;
    return m_speed.etaSeconds(m_clock.elapsed(), m_totalBytes - m_receivedBytes);
}

bool DownloadJob::setKnownSize(qint64 bytes)
{
    // After the first attempt the server's size is the truth: a listing may be stale.
    if (bytes < 0 || m_attempts > 0 || m_state != State::Queued)
        return false;
    if (m_totalBytes != bytes) {
        m_totalBytes = bytes;
        emit progressChanged(m_receivedBytes, m_totalBytes);
    }
    return true;
}

void DownloadJob::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    if (state == State::Transferring)
        m_heartbeat.start();
    else
        m_heartbeat.stop();
    emit stateChanged(state);
}

void DownloadJob::setStatusText(const QString &text)
{
    if (m_statusText == text)
        return;
    m_statusText = text;
    emit statusTextChanged(text);
}

void DownloadJob::start()
{
    if (m_state != State::Queued)
        return;
    for (const QString &reason : std::exchange(m_unannounced, {}))
        emit sourceDropped(reason);
    beginAttempt();
}

void DownloadJob::pause()
{
    if (isFinished() || m_state == State::Paused)
        return;
    dropConnection();
    stopWaiting();
    flushProgress();
    setStatusText(tr("Paused"));
    setState(State::Paused);
}

void DownloadJob::resume()
{
    if (m_state != State::Paused)
        return;
    setStatusText(tr("Queued"));
    setState(State::Queued);
}

void DownloadJob::cancel()
{
    if (isFinished())
        return;
    dropConnection();
    stopWaiting();
    if (!giveBackUsersFile())
        PartFile::discard(m_localPath);
    m_receivedBytes = 0;
    setStatusText(tr("Canceled"));
    finishAs(State::Canceled);
}

void DownloadJob::retry()
{
    if (m_state != State::Failed && m_state != State::Canceled)
        return;
    m_error = ErrorKind::NoError;
    m_errorString.clear();
    m_connectionFailures = 0;
    m_busyFailures = 0;
    m_restarts = 0;
    m_serversFailed = 0;
    m_otherVersion.clear();
    m_mirrorInUse = -1; // the job's own server gets another chance
    m_passedOver.clear();
    setStatusText(tr("Queued"));
    setState(State::Queued);
}

void DownloadJob::beginAttempt()
{
    ++m_attempts;
    m_bodyActive = false;
    m_progressedThisAttempt = false;
    setState(State::Connecting);
    if (!m_destinationResolved && !resolveDestination())
        return;
    if (!resolveServers())
        return;
    const ServerAddress server = currentServer();
    if (Connection *idle = m_pool ? m_pool->take(server.host, server.port, this) : nullptr) {
        if (m_connection)
            m_connection->deleteLater();
        attachConnection(idle);
        m_reusedConnection = true;
        onConnected();
        return;
    }
    if (!m_connection)
        attachConnection(new Connection(this));
    m_reusedConnection = false;
    setStatusText(tr("Connecting to %1:%2").arg(server.host).arg(server.port));
    m_connection->open(server.host, server.port);
}

void DownloadJob::attachConnection(Connection *connection)
{
    m_connection = connection;
    connect(m_connection, &Connection::ready, this, &DownloadJob::onConnected);
    connect(m_connection, &Connection::messageReceived, this, &DownloadJob::onMessage);
    connect(m_connection, &Connection::failed, this, &DownloadJob::onConnectionFailed);
    m_connection->setBodySink([this](const char *data, qint64 size) { return onBodyBytes(data, size); });
    m_connection->setBodyPacer([this](qint64 wanted) { return paceBody(wanted); });
}

// After BODY_END the connection is between requests: the pool keeps it for the next job.
void DownloadJob::releaseConnection()
{
    if (!m_connection)
        return;
    if (!m_pool) {
        m_connection->abort();
        return;
    }
    disconnect(m_connection, nullptr, this, nullptr);
    m_pool->give(std::exchange(m_connection, nullptr));
}

// Applies the existing-file policy once, before the first byte is fetched.
bool DownloadJob::resolveDestination()
{
    m_destinationResolved = true;
    if (m_localPath.contains(QChar(0))) {
        // The system would see the name end at the NUL: the .part's name would be the final one, and a
        // partial file would stand under it as if complete.
        fail(ErrorKind::LocalError, tr("The file name “%1” holds a NUL character, which no file name may.")
                                        .arg(QString(m_localPath).replace(QChar(0), QStringLiteral("\\0"))));
        return false;
    }
    if (PartFile::isStreamTarget(m_localPath))
        return true;
    const DestinationPlan plan =
        planDestination(m_localPath, m_policy, [](const QString &path) { return QFileInfo::exists(path); });
    m_localPath = plan.path;
    switch (plan.action) {
    case DestinationPlan::Action::Write:
        return true;
    case DestinationPlan::Action::Skip:
        m_skipped = true;
        m_receivedBytes = m_totalBytes = QFileInfo(m_localPath).size();
        setStatusText(tr("Skipped: the file exists"));
        finishAs(State::Done);
        return false;
    case DestinationPlan::Action::AdoptExisting:
        // The existing file is the partial download; it is verified only by size.
        PartFile::discard(m_localPath);
        if (!QFile::rename(m_localPath, partPath())) {
            fail(ErrorKind::LocalError, tr("rename() %1 to %2 failed").arg(m_localPath, partPath()));
            return false;
        }
        m_partIsUsersFile = true;
        return true;
    }
    return true;
}

bool DownloadJob::giveBackUsersFile()
{
    if (!m_partIsUsersFile)
        return false;
    m_part.close();
    // QFile::rename, not rename(2): it never replaces a file that took the name meanwhile.
    if (!QFile::rename(partPath(), m_localPath))
        return false;
    QFile::remove(PartFile::metaPathFor(m_localPath));
    m_partIsUsersFile = false;
    m_destinationResolved = false; // the next run applies the Resume policy to it again
    return true;
}

void DownloadJob::restartFromZero()
{
    dropConnection();
    // The user's file is not a prefix of the remote one: it gets its name back and the
    // fresh download replaces it only once complete, as under the Overwrite policy.
    if (giveBackUsersFile())
        m_destinationResolved = true;
    PartFile::discard(m_localPath);
    m_partIsUsersFile = false;
    m_receivedBytes = 0;
    m_progressDirty = true;
    flushProgress();
    if (++m_restarts > MaxRestarts) {
        fail(ErrorKind::RemoteError, tr("%1: the file keeps changing on the server").arg(m_url.path()));
        return;
    }
    beginAttempt();
}

void DownloadJob::onConnectionFailed(ErrorKind kind, const QString &reason, int retryAfterMs)
{
    if (m_reusedConnection && kind == ErrorKind::ConnectionError) {
        // The server closed the idle connection just as it was taken: not a failure,
        // just open a fresh one.
        m_reusedConnection = false;
        m_connection->open(currentServer().host, currentServer().port);
        return;
    }
    failAttempt(kind, reason, retryAfterMs);
}

void DownloadJob::fail(ErrorKind kind, const QString &reason)
{
    dropConnection();
    stopWaiting();
    giveBackUsersFile(); // a failed job must not leave the user's file only as a .part
    m_error = kind;
    m_errorString = reason;
    setStatusText(reason);
    emit errorOccurred(kind, reason);
    finishAs(State::Failed);
}

void DownloadJob::finishAs(State state)
{
    stopWaiting();
    flushProgress();
    setState(state);
    emit finished();
}

void DownloadJob::dropConnection()
{
    if (m_verifiedDownload) {
        m_verifiedDownload->stop(); // records the verified chunks now, before a discard
        std::exchange(m_verifiedDownload, nullptr)->deleteLater();
    }
    if (m_connection)
        m_connection->abort();
    m_part.close();
    m_bodyActive = false;
}

void DownloadJob::markProgress()
{
    m_progressDirty = true;
    if (!m_progressTimer.isActive())
        m_progressTimer.start();
}

void DownloadJob::flushProgress()
{
    if (!m_progressDirty)
        return;
    m_progressDirty = false;
    m_lastProgressMs = m_clock.elapsed();
    m_speed.addSample(m_lastProgressMs, m_receivedBytes);
    emit progressChanged(m_receivedBytes, m_totalBytes);
}

} // namespace ferry::client
