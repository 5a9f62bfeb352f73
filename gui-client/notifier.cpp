#include "notifier.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"

#include <QFileInfo>

namespace ferry::gui {

using client::DownloadJob;

Notifier::Notifier(client::DownloadQueue *queue, QObject *parent)
    : QObject(parent)
    , m_queue(queue)
{
    m_gather.setSingleShot(true);
    m_gather.setInterval(GatherMs);
    connect(&m_gather, &QTimer::timeout, this, &Notifier::flush);
    connect(queue, &client::DownloadQueue::jobAdded, this, [this](DownloadJob *job) { watch(job); });
    for (DownloadJob *job : queue->jobs())
        watch(job);
}

void Notifier::watch(DownloadJob *job)
{
    connect(job, &DownloadJob::finished, this, [this, job] { onFinished(job); });
}

void Notifier::onFinished(DownloadJob *job)
{
    switch (job->state()) {
    case DownloadJob::State::Done:
        if (job->wasSkipped())
            return;
        m_done.append(job->localPath());
        m_gather.start(); // restarted by each: one notification per burst
        return;
    case DownloadJob::State::Failed:
        emit notify(tr("Download failed"),
                    tr("Could not download \u201c%1\u201d: %2").arg(job->fileName(), job->errorString()), QString(),
                    true);
        return;
    case DownloadJob::State::Canceled: // the user did it: nothing to tell
    case DownloadJob::State::Queued:
    case DownloadJob::State::Connecting:
    case DownloadJob::State::Transferring:
    case DownloadJob::State::Paused:
    case DownloadJob::State::Finishing:
        return;
    }
}

void Notifier::flush()
{
    if (m_done.isEmpty())
        return;
    const QList<QString> done = std::exchange(m_done, {});
    const bool all = m_queue->isIdle();
    if (done.size() == 1) {
        emit notify(all ? tr("All downloads finished") : tr("Download finished"),
                    tr("\u201c%1\u201d is downloaded.").arg(QFileInfo(done.first()).fileName()), done.first(), false);
        return;
    }
    emit notify(all ? tr("All downloads finished") : tr("Downloads finished"),
                tr("%n download(s) finished.", nullptr, int(done.size())), QString(), false);
}

} // namespace ferry::gui
