#include "progressprinter.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "sumcommand.h"
#include "terminaltext.h"

#include <QLocale>

#include <sys/ioctl.h>
#include <unistd.h>

namespace ferry::get {

using client::DownloadJob;

namespace {

// At most ten redraws a second: enough to look live, cheap on a slow terminal.
constexpr int RedrawIntervalMs = 100;

int terminalWidth(FILE *out)
{
    winsize size{};
    if (::ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 20)
        return size.ws_col;
    return 80;
}

} // namespace

QString formatBytes(qint64 bytes)
{
    return QLocale::c().formattedDataSize(std::max<qint64>(bytes, 0), 1, QLocale::DataSizeIecFormat);
}

QString formatEta(qint64 seconds)
{
    if (seconds < 0)
        return QStringLiteral("--:--");
    if (seconds >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(seconds / 3600)
            .arg(seconds / 60 % 60, 2, 10, QLatin1Char('0'))
            .arg(seconds % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2")
        .arg(seconds / 60, 2, 10, QLatin1Char('0'))
        .arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

ProgressPrinter::ProgressPrinter(client::DownloadQueue *queue, bool live, FILE *out, QObject *parent)
    : QObject(parent), m_queue(queue), m_live(live), m_out(out)
{
    m_redrawTimer.setSingleShot(true);
    m_redrawTimer.setInterval(RedrawIntervalMs);
    connect(&m_redrawTimer, &QTimer::timeout, this, &ProgressPrinter::redraw);
    connect(queue, &client::DownloadQueue::jobAdded, this, [this](DownloadJob *job, int) { onJobAdded(job); });
}

void ProgressPrinter::onJobAdded(DownloadJob *job)
{
    connect(job, &DownloadJob::stateChanged, this, [this, job] { onStateChanged(job); });
    connect(job, &DownloadJob::sourceDropped, this, [this, job](const QString &reason) {
        printLine(QStringLiteral("%1: not using %2").arg(job->localPath(), reason));
    });
    if (m_live)
        connect(job, &DownloadJob::progressChanged, this, &ProgressPrinter::markDirty);
}

void ProgressPrinter::onStateChanged(DownloadJob *job)
{
    const QString name = job->localPath();
    switch (job->state()) {
    case DownloadJob::State::Transferring:
        if (!m_live)
            printLine(job->resumedFrom() > 0
                          ? QStringLiteral("resuming %1 at %2 of %3")
                                .arg(name, formatBytes(job->resumedFrom()), formatBytes(job->totalBytes()))
                          : QStringLiteral("fetching %1 (%2)").arg(name, formatBytes(job->totalBytes())));
        break;
    case DownloadJob::State::Done:
        if (job->wasSkipped())
            printLine(QStringLiteral("skipped %1: it exists").arg(name));
        else if (job->isVerified())
            printVerified(job);
        else
            printLine(QStringLiteral("done %1 (%2)").arg(name, formatBytes(job->totalBytes())));
        break;
    case DownloadJob::State::Failed:
        printLine(QStringLiteral("failed %1: %2").arg(job->url().toString(), job->errorString()));
        break;
    case DownloadJob::State::Canceled:
        printLine(QStringLiteral("canceled %1").arg(name));
        break;
    case DownloadJob::State::Queued:
    case DownloadJob::State::Connecting:
    case DownloadJob::State::Paused:
    case DownloadJob::State::Finishing:
        break;
    }
    markDirty();
}

// The digest goes to standard output as `sha256sum` prints it, so `sha256sum -c` can check
// the file later; the message stays on standard error with the others.
void ProgressPrinter::printVerified(const DownloadJob *job)
{
    printLine(QStringLiteral("done %1 (%2, verified, SHA-256 %3)")
                  .arg(job->localPath(), formatBytes(job->totalBytes()), QString::fromLatin1(job->sha256().toHex())));
    std::fputs(sha256sumLine(job->sha256(), textFor(stdout, job->localPath())).constData(), stdout);
    std::fflush(stdout);
}

void ProgressPrinter::markDirty()
{
    m_dirty = true;
    if (m_live && !m_redrawTimer.isActive())
        m_redrawTimer.start();
}

// Permanent lines go above the bars: erase the bars, print, and let redraw() restore them.
void ProgressPrinter::printLine(const QString &line)
{
    clearBars();
    std::fprintf(m_out, "%s\n", shownText(line).toLocal8Bit().constData());
    std::fflush(m_out);
}

void ProgressPrinter::clearBars()
{
    if (!m_live || m_drawnLines == 0)
        return;
    std::fprintf(m_out, "\x1b[%dF\x1b[J", m_drawnLines); // cursor up N lines, clear to end of screen
    m_drawnLines = 0;
}

QString ProgressPrinter::barLine(const DownloadJob *job, int width) const
{
    const qint64 total = job->totalBytes();
    const int percent = total > 0 ? int(job->receivedBytes() * 100 / total) : 0;
    const QString tail = QStringLiteral(" %1% %2/s ETA %3")
                             .arg(percent, 3)
                             .arg(formatBytes(job->bytesPerSecond()), 9)
                             .arg(formatEta(job->etaSeconds()));
    QString name = shownText(job->fileName());
    const int nameWidth = std::clamp(width / 3, 8, 40);
    if (name.size() > nameWidth)
        name = name.left(nameWidth - 1) + QChar(u'~');
    const int barWidth = std::max(10, width - nameWidth - int(tail.size()) - 4);
    const int filled = total > 0 ? int(job->receivedBytes() * barWidth / total) : 0;
    const QString bar = QString(filled, u'#') + QString(barWidth - filled, u'-');
    if (job->state() != DownloadJob::State::Transferring)
        return QStringLiteral("%1 [%2] %3").arg(name, -nameWidth).arg(bar, shownText(job->statusText()).left(width / 2));
    return QStringLiteral("%1 [%2]%3").arg(name, -nameWidth).arg(bar, tail);
}

void ProgressPrinter::redraw()
{
    if (!m_live || !m_dirty)
        return;
    m_dirty = false;
    clearBars();
    const int width = terminalWidth(m_out) - 1;
    int done = 0;
    for (const DownloadJob *job : m_queue->jobs()) {
        done += job->state() == DownloadJob::State::Done ? 1 : 0;
        if (!job->isActive())
            continue;
        std::fprintf(m_out, "%s\n", barLine(job, width).toLocal8Bit().constData());
        ++m_drawnLines;
    }
    if (m_queue->count() > 1) {
        std::fprintf(m_out, "%d of %d files done, %s/s\n", done, int(m_queue->count()),
                     qPrintable(formatBytes(m_queue->bytesPerSecond())));
        ++m_drawnLines;
    }
    std::fflush(m_out);
}

void ProgressPrinter::finish()
{
    m_redrawTimer.stop();
    clearBars();
    std::fflush(m_out);
}

} // namespace ferry::get
