#include "downloadqueue.h"

#include "collision.h"
#include "connectionpool.h"
#include "downloadjob.h"
#include "partfile.h"
#include "treewalker.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonObject>
#include <QTimer>

#include <utility>

namespace ferry::client {

DownloadQueue::DownloadQueue(QObject *parent) : QObject(parent), m_pool(new ConnectionPool(this)) {}

DownloadQueue::~DownloadQueue()
{
    // The jobs go first: as they stop they hand idle connections to m_pool, which as the first child
    // made would otherwise be deleted before them. Nothing they say on the way out concerns the queue.
    const QList<DownloadJob *> jobs = std::exchange(m_jobs, {});
    for (DownloadJob *job : jobs)
        job->disconnect(this);
    qDeleteAll(jobs);
}

void DownloadQueue::setMaxConcurrent(int count)
{
    m_maxConcurrent = std::max(1, count);
    scheduleSoon();
}

void DownloadQueue::setSpeedLimit(qint64 bytesPerSecond)
{
    m_limiter.setBytesPerSecond(bytesPerSecond, RateLimiter::nowMs());
}

DownloadJob *DownloadQueue::addFile(const FerryUrl &url, const QString &destinationDir, qint64 knownSize)
{
    return addFileAs(url, QDir(destinationDir).filePath(url.fileName()), knownSize);
}

DownloadJob *DownloadQueue::addFileAs(const FerryUrl &url, const QString &localPath, qint64 knownSize)
{
    const bool claim = m_policy == ExistingFilePolicy::Rename && !PartFile::isStreamTarget(localPath);
    const QString path = claim ? claimFreePath(localPath) : localPath;
    auto *job = new DownloadJob(url, path, m_policy, this);
    job->setRetryPolicy(m_retryPolicy);
    job->setMirrors(mirrorsFor(url));
    job->setVerify(m_verify);
    job->setKnownSize(knownSize); // before jobAdded, so that the row is sized from the start
    return append(job);
}

namespace {

QString serverKey(const FerryUrl &url)
{
    return QStringLiteral("%1:%2").arg(url.host()).arg(url.port());
}

} // namespace

void DownloadQueue::setMirrors(const FerryUrl &server, const QList<FerryUrl> &mirrors)
{
    if (mirrors.isEmpty())
        m_mirrors.remove(serverKey(server));
    else
        m_mirrors.insert(serverKey(server), mirrors);
}

QList<FerryUrl> DownloadQueue::mirrorsFor(const FerryUrl &url) const
{
    QList<FerryUrl> urls;
    for (const FerryUrl &mirror : m_mirrors.value(serverKey(url))) {
        FerryUrl copy = url.withServer(mirror.host(), mirror.port());
        copy.setFingerprint(mirror.fingerprint());
        urls << copy;
    }
    return urls;
}

// Two jobs of this queue must never share a .part: with the Rename policy the second
// one gets a numbered name straight away (files on disk are checked when it starts).
QString DownloadQueue::claimFreePath(const QString &localPath) const
{
    const QFileInfo info(localPath);
    const QDir dir = info.dir();
    const QString name = freeFileName(info.fileName(), [&](const QString &candidate) {
        const QString path = dir.filePath(candidate);
        return std::any_of(m_jobs.begin(), m_jobs.end(), [&path](const DownloadJob *job) {
            return !job->isFinished() && job->localPath() == path;
        });
    });
    return dir.filePath(name);
}

void DownloadQueue::add(const FerryUrl &url, const QString &destinationDir)
{
    auto *walker = new TreeWalker(url, destinationDir, this);
    walker->setMirrors(mirrorsFor(url));
    m_walkers.append(walker);
    connect(walker, &TreeWalker::fileFound, this,
            [this, walker](const FerryUrl &fileUrl, const QString &localPath, qint64 size) {
                // The listing's size, shown while the file waits; servers the listing passed over stay so.
                addFileAs(fileUrl, localPath, size)->startAtMirror(walker->mirrorInUse(), walker->passedOver());
            });
    connect(walker, &TreeWalker::finished, this, [this, walker] { onWalkerFinished(walker); });
    m_wasIdle = false;
    // One listing at a time: selecting a hundred items must not open a hundred connections.
    if (m_walkers.size() == 1)
        walker->start();
}

void DownloadQueue::onWalkerFinished(TreeWalker *walker)
{
    m_walkers.removeOne(walker);
    if (walker->error() != ErrorKind::NoError)
        emit addFailed(walker->url().toString(), walker->error(), walker->errorString());
    walker->deleteLater();
    if (!m_walkers.isEmpty())
        m_walkers.first()->start();
    scheduleSoon();
}

DownloadJob *DownloadQueue::append(DownloadJob *job)
{
    job->setConnectionPool(m_pool);
    job->setSharedLimiter(&m_limiter);
    m_jobs.append(job);
    connect(job, &DownloadJob::stateChanged, this, &DownloadQueue::scheduleSoon);
    // From a fresh event-loop turn: the job is still inside its connection's signal.
    connect(job, &DownloadJob::serverReached, this, [this, job] {
        QTimer::singleShot(0, this, [this, url = job->url()] { retryWaiting(url.host(), url.port()); });
    });
    m_wasIdle = false;
    emit jobAdded(job, int(m_jobs.size()) - 1);
    scheduleSoon();
    return job;
}

DownloadJob *DownloadQueue::jobAt(int row) const
{
    return row >= 0 && row < m_jobs.size() ? m_jobs.at(row) : nullptr;
}

DownloadJob *DownloadQueue::job(quint64 id) const
{
    return jobAt(indexOf(id));
}

int DownloadQueue::indexOf(quint64 id) const
{
    for (int row = 0; row < m_jobs.size(); ++row) {
        if (m_jobs.at(row)->id() == id)
            return row;
    }
    return -1;
}

void DownloadQueue::move(quint64 id, int row)
{
    const int from = indexOf(id);
    if (from < 0)
        return;
    const int to = std::clamp(row, 0, int(m_jobs.size()) - 1);
    if (from == to)
        return;
    m_jobs.move(from, to);
    emit jobMoved(id, from, to);
    scheduleSoon();
}

void DownloadQueue::forceStart(quint64 id)
{
    DownloadJob *found = job(id);
    if (!found)
        return;
    found->resume(); // a Paused job becomes Queued; others are left as they are
    found->start();
}

void DownloadQueue::pause(quint64 id)
{
    if (DownloadJob *found = job(id))
        found->pause();
}

void DownloadQueue::resume(quint64 id)
{
    if (DownloadJob *found = job(id))
        found->resume();
}

void DownloadQueue::cancel(quint64 id)
{
    if (DownloadJob *found = job(id))
        found->cancel();
}

void DownloadQueue::retry(quint64 id)
{
    if (DownloadJob *found = job(id))
        found->retry();
}

void DownloadQueue::remove(quint64 id, bool deletePartial)
{
    const int row = indexOf(id);
    if (row < 0)
        return;
    DownloadJob *found = m_jobs.takeAt(row);
    found->disconnect(this);
    if (!found->isFinished())
        found->pause(); // stops the transfer and keeps the .part
    found->giveBackUsersFile(); // a job that is gone cannot hold the user's file as its .part
    if (deletePartial)
        PartFile::discard(found->localPath());
    emit jobRemoved(id, row);
    found->deleteLater();
    scheduleSoon();
}

void DownloadQueue::pauseAll()
{
    for (DownloadJob *job : m_jobs)
        job->pause();
}

void DownloadQueue::resumeAll()
{
    for (DownloadJob *job : m_jobs)
        job->resume();
}

void DownloadQueue::retryWaiting(const QString &host, quint16 port)
{
    for (DownloadJob *job : m_jobs) {
        if (job->isWaitingForServer() && job->url().host() == host && job->url().port() == port)
            job->retryNow();
    }
}

void DownloadQueue::clearFinished()
{
    for (int row = int(m_jobs.size()) - 1; row >= 0; --row) {
        if (m_jobs.at(row)->isFinished())
            remove(m_jobs.at(row)->id());
    }
}

int DownloadQueue::activeCount() const
{
    return int(std::count_if(m_jobs.begin(), m_jobs.end(), [](const DownloadJob *job) { return job->isActive(); }));
}

bool DownloadQueue::isIdle() const
{
    if (!m_walkers.isEmpty())
        return false;
    return std::none_of(m_jobs.begin(), m_jobs.end(), [](const DownloadJob *job) {
        return job->isActive() || job->state() == DownloadJob::State::Queued;
    });
}

qint64 DownloadQueue::bytesPerSecond() const
{
    qint64 total = 0;
    for (const DownloadJob *job : m_jobs)
        total += job->bytesPerSecond();
    return total;
}

// Job state changes arrive from deep inside their own event handling; starting the
// next job from a fresh event-loop turn keeps those call stacks flat.
void DownloadQueue::scheduleSoon()
{
    if (m_scheduled)
        return;
    m_scheduled = true;
    QTimer::singleShot(0, this, &DownloadQueue::schedule);
}

void DownloadQueue::schedule()
{
    m_scheduled = false;
    int active = activeCount();
    for (DownloadJob *job : m_jobs) {
        if (active >= m_maxConcurrent)
            break;
        if (job->state() == DownloadJob::State::Queued) {
            job->start();
            ++active;
        }
    }
    checkIdle();
}

void DownloadQueue::checkIdle()
{
    const bool idleNow = isIdle();
    if (idleNow && !m_wasIdle) {
        m_wasIdle = true;
        emit idle();
    } else if (!idleNow) {
        m_wasIdle = false;
    }
}

int DownloadQueue::reusedConnections() const
{
    return m_pool->reuseCount();
}

QJsonArray DownloadQueue::saveState() const
{
    QJsonArray state;
    for (const DownloadJob *job : m_jobs)
        state.append(job->toJson());
    return state;
}

QStringList DownloadQueue::restoreState(const QJsonArray &state)
{
    QStringList dropped;
    for (const QJsonValue &value : state) {
        QString why = QStringLiteral("not a saved download");
        DownloadJob *job = value.isObject() ? DownloadJob::fromJson(value.toObject(), this, &why) : nullptr;
        if (!job) {
            dropped << why;
            continue;
        }
        job->setRetryPolicy(m_retryPolicy);
        append(job);
    }
    return dropped;
}

} // namespace ferry::client
