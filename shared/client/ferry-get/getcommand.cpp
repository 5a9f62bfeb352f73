#include "getcommand.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "exitcodes.h"
#include "progressprinter.h"
#include "terminaltext.h"

#include <algorithm>
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
                std::fprintf(stderr, "ferry-get: %s: %s\n", qPrintable(shownText(url)), qPrintable(shownText(reason)));
                noteFailure(kind);
            });
    connect(m_queue, &DownloadQueue::idle, this, &GetCommand::onIdle);
    connect(m_queue, &DownloadQueue::jobAdded, this, [this](DownloadJob *job, int) { setUpJob(job); });
}

// URLs with the same path on different servers name one file on mirrors: the first is
// where it comes from, the servers of the others are its mirrors (see mirrorGroups()).
void GetCommand::start()
{
    const auto groups = mirrorGroups(m_options.urls);
    for (const auto &group : groups)
        m_queue->setMirrors(group.first(), group.mid(1));
    if (!m_options.outputFile.isEmpty()) {
        m_queue->addFileAs(groups.first().first(), m_options.outputFile);
        return;
    }
    for (const auto &group : groups)
        m_queue->add(group.first(), m_options.outputDir);
}

QList<QList<client::FerryUrl>> GetCommand::mirrorGroups(const QList<client::FerryUrl> &urls)
{
    QList<QList<client::FerryUrl>> groups;
    for (const client::FerryUrl &url : urls) {
        const auto same = std::find_if(groups.begin(), groups.end(), [&url](const QList<client::FerryUrl> &group) {
            return group.first().path() == url.path();
        });
        if (same == groups.end())
            groups.append({url});
        else if (!same->contains(url))
            same->append(url);
    }
    return groups;
}

void GetCommand::setUpJob(DownloadJob *job)
{
    job->setExpectedSha256(m_options.expectedSha256);
    if (m_options.streams > 0)
        job->setMaxStreams(m_options.streams);
    job->setVerify(m_options.verify);
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
