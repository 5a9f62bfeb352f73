#include "getcommand.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "exitcodes.h"
#include "progressprinter.h"

#include <cstdio>

namespace ferry::get {

using client::DownloadJob;
using client::DownloadQueue;

GetCommand::GetCommand(const GetOptions &options, QObject *parent)
    : QObject(parent), m_options(options), m_queue(new DownloadQueue(this)),
      m_printer(new ProgressPrinter(m_queue, options.live, stderr, this))
{
    m_queue->setMaxConcurrent(options.jobs);
    // A script wants an answer: give up on a server that stays away for a minute or
    // so, where the Downloader would keep waiting for it.
    client::RetryPolicy retries;
    retries.maxConnectionRetries = 8;
    retries.maxBusyRetries = 200;
    m_queue->setRetryPolicy(retries);
    m_queue->setExistingFilePolicy(options.onExists);
    connect(m_queue, &DownloadQueue::addFailed, this,
            [this](const QString &url, client::ErrorKind kind, const QString &reason) {
                std::fprintf(stderr, "ferry-get: %s: %s\n", qPrintable(url), qPrintable(reason));
                noteFailure(kind);
            });
    connect(m_queue, &DownloadQueue::idle, this, &GetCommand::onIdle);
}

void GetCommand::start()
{
    if (!m_options.outputFile.isEmpty()) {
        m_queue->addFileAs(m_options.urls.first(), m_options.outputFile);
        return;
    }
    for (const client::FerryUrl &url : m_options.urls)
        m_queue->add(url, m_options.outputDir);
}

void GetCommand::interrupt()
{
    disconnect(m_queue, &DownloadQueue::idle, this, &GetCommand::onIdle);
    m_queue->pauseAll();
    m_printer->finish();
}

void GetCommand::noteFailure(client::ErrorKind kind)
{
    if (m_exitCode == ExitSuccess)
        m_exitCode = exitCodeFor(kind);
}

void GetCommand::onIdle()
{
    m_printer->finish();
    for (const DownloadJob *job : m_queue->jobs()) {
        switch (job->state()) {
        case DownloadJob::State::Done:
            break;
        case DownloadJob::State::Failed:
            noteFailure(job->error());
            break;
        case DownloadJob::State::Queued:
        case DownloadJob::State::Connecting:
        case DownloadJob::State::Transferring:
        case DownloadJob::State::Paused:
        case DownloadJob::State::Finishing:
        case DownloadJob::State::Canceled:
            if (m_exitCode == ExitSuccess)
                m_exitCode = ExitOther; // not expected when idle: never claim success for it
            break;
        }
    }
    emit finished(m_exitCode);
}

} // namespace ferry::get
