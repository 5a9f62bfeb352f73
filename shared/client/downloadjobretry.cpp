// DownloadJob's waits between attempts: which failures are retried, the backoff, the
// countdown in statusText(), and ending a wait early when the server is back.
#include "downloadjob.h"

#include "partfile.h"

#include <QRandomGenerator>

namespace ferry::client {

void DownloadJob::failAttempt(ErrorKind kind, const QString &reason, int retryAfterMs)
{
    dropConnection();
    if (PartFile::isStreamTarget(m_localPath) && m_receivedBytes > 0) {
        fail(kind, reason); // bytes already went out to a stream: a retry would repeat them
        return;
    }
    if (m_progressedThisAttempt) {
        m_serversFailed = 0;
        m_otherVersion.clear();
    }
    if (passToMirror(kind, reason) || failOver(kind))
        return;
    if (!m_otherVersion.isEmpty() && (kind == ErrorKind::ConnectionError || kind == ErrorKind::ServerBusy)) {
        fail(ErrorKind::RemoteError, m_otherVersion); // the servers left this round are down: say why not here
        return;
    }
    int failures = 1;
    if (kind == ErrorKind::ServerBusy) {
        failures = ++m_busyFailures;
    } else if (kind == ErrorKind::ConnectionError) {
        if (m_progressedThisAttempt)
            m_connectionFailures = 0; // bytes moved: the link works, so start counting afresh
        failures = ++m_connectionFailures;
    }
    const int delay =
        m_retryPolicy.delayFor(kind, failures, retryAfterMs, QRandomGenerator::global()->generateDouble());
    if (delay < 0) {
        fail(kind, reason);
        return;
    }
    waitToRetry(kind, reason, delay);
}

void DownloadJob::waitToRetry(ErrorKind kind, const QString &reason, int delayMs)
{
    flushProgress();
    setState(State::Connecting);
    m_waitKind = kind;
    m_waitReason = reason;
    m_retryDeadline = QDeadlineTimer(delayMs, Qt::PreciseTimer);
    m_retryTimer.start(delayMs);
    updateWaitText();
    emit retryScheduled(kind, delayMs);
}

void DownloadJob::updateWaitText()
{
    if (!m_retryTimer.isActive())
        return;
    // Whole seconds left, rounded up: a 30 s wait shows 30 at once, and 29 once a second has gone.
    constexpr qint64 NsPerSecond = 1000 * 1000 * 1000;
    const qint64 leftNs = m_retryDeadline.remainingTimeNSecs();
    const qint64 seconds = (leftNs + NsPerSecond - 1) / NsPerSecond;
    // The next figure is due when the deadline is `seconds - 1` whole seconds away: wake just after
    // (a precise timer is never early), so that each tick shows one less and a late one catches up.
    if (seconds > 0)
        m_waitTicker.start(int((leftNs - (seconds - 1) * NsPerSecond) / (1000 * 1000)) + 1);
    if (m_waitKind == ErrorKind::ServerBusy)
        setStatusText(tr("Server busy (next try in %1 s)").arg(seconds));
    else
        setStatusText(tr("Waiting for server (next try in %1 s): %2").arg(seconds).arg(m_waitReason));
}

void DownloadJob::stopWaiting()
{
    m_retryTimer.stop();
    m_waitTicker.stop();
    m_waitKind = ErrorKind::NoError;
}

bool DownloadJob::isWaitingForServer() const
{
    return m_retryTimer.isActive() && m_waitKind == ErrorKind::ConnectionError;
}

void DownloadJob::retryNow()
{
    if (!isWaitingForServer())
        return;
    stopWaiting();
    beginAttempt();
}

} // namespace ferry::client
