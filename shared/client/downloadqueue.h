// The download queue: a concurrency limit, ordering, per-job control, folders, persistence.
#pragma once

#include "clienttypes.h"
#include "ferryurl.h"
#include "ratelimiter.h"
#include "retrypolicy.h"

#include <QHash>
#include <QJsonArray>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

namespace ferry::client {

class ConnectionPool;
class DownloadJob;
class TreeWalker;

// Owns its jobs (QObject children). Jobs start in queue order as slots free up, at
// most maxConcurrent() at a time; a Paused, Failed, Done or Canceled job takes no slot.
// Rows are positions in jobs(); every change is announced with the row it touched, so
// a model can mirror the queue one signal at a time.
class DownloadQueue : public QObject
{
    Q_OBJECT
public:
    static constexpr int DefaultMaxConcurrent = 3;

    explicit DownloadQueue(QObject *parent = nullptr);
    ~DownloadQueue() override;

    int maxConcurrent() const { return m_maxConcurrent; }
    void setMaxConcurrent(int count);
    // Policy for jobs added from now on.
    ExistingFilePolicy existingFilePolicy() const { return m_policy; }
    void setExistingFilePolicy(ExistingFilePolicy policy) { m_policy = policy; }
    // The speed limit of all downloads together, bytes per second, 0 for none; each
    // download's own limit applies on top. Takes effect at once.
    qint64 speedLimit() const { return m_limiter.bytesPerSecond(); }
    void setSpeedLimit(qint64 bytesPerSecond);
    // Retry policy for jobs added from now on.
    RetryPolicy retryPolicy() const { return m_retryPolicy; }
    void setRetryPolicy(const RetryPolicy &policy) { m_retryPolicy = policy; }

    // Whether jobs added from now on use a server's manifest (default true; see
    // DownloadJob::setVerify): false fetches as from a version 1 server.
    bool verifies() const { return m_verify; }
    void setVerify(bool verify) { m_verify = verify; }
    // Other servers that hold the same tree as `server`'s host and port, at the same paths
    // (their URLs' paths are ignored; a ?fp= pin is kept). Files of `server` added from now
    // on take their chunks from all of them (DownloadJob::setMirrors). An empty list clears.
    void setMirrors(const FerryUrl &server, const QList<FerryUrl> &mirrors);
    QList<FerryUrl> mirrorsFor(const FerryUrl &url) const;

    // Adds one remote file, saved as destinationDir/<its name>. Returns the new job.
    // `knownSize` is the size a listing reported (-1: not known); the job shows it
    // while queued, and the server's answer replaces it when the transfer starts.
    DownloadJob *addFile(const FerryUrl &url, const QString &destinationDir, qint64 knownSize = -1);
    // Same, with the local file path given (e.g. a file inside a mirrored tree).
    DownloadJob *addFileAs(const FerryUrl &url, const QString &localPath, qint64 knownSize = -1);
    // Adds a file or a whole folder (asks the server which it is). A folder is listed
    // recursively and mirrored as destinationDir/<folder name>/..., empty folders
    // included; its files arrive through jobAdded. Failure: addFailed.
    void add(const FerryUrl &url, const QString &destinationDir);

    int count() const { return int(m_jobs.size()); }
    QList<DownloadJob *> jobs() const { return m_jobs; }
    DownloadJob *jobAt(int row) const;
    DownloadJob *job(quint64 id) const;
    int indexOf(quint64 id) const;

    // Moves a job to `row` (clamped); order decides which queued job starts next.
    void move(quint64 id, int row);
    // Starts a Queued (or Paused) job now, whatever maxConcurrent() says; the others
    // wait until the number running is below the limit again.
    void forceStart(quint64 id);
    void pause(quint64 id);
    void resume(quint64 id);
    void cancel(quint64 id);
    void retry(quint64 id);
    // Takes the job out of the queue (canceling it if active); the .part stays unless
    // `deletePartial`.
    void remove(quint64 id, bool deletePartial = false);
    void pauseAll();
    void resumeAll();
    // Jobs on host:port that wait to retry after a network failure try again now: the
    // server answers again. The queue does this itself when one of its jobs gets through.
    void retryWaiting(const QString &host, quint16 port);
    // Removes every Done, Failed and Canceled job.
    void clearFinished();

    int activeCount() const;
    // True when no job is queued or active and no folder is still being listed.
    bool isIdle() const;
    qint64 bytesPerSecond() const;
    // Downloads that reused a finished job's connection (no new TCP handshake).
    int reusedConnections() const;

    // Persistence: one object per job, in queue order. restoreState() appends the jobs;
    // active ones come back Queued and resume from their .part files, damaged ones Failed
    // with the damage as their error. It returns why it dropped each entry it could not
    // restore at all (DownloadJob::fromJson), and keeps the others.
    QJsonArray saveState() const;
    QStringList restoreState(const QJsonArray &state);

signals:
    void jobAdded(ferry::client::DownloadJob *job, int row);
    // After the job has left jobs(); the object itself is deleted later.
    void jobRemoved(quint64 id, int row);
    void jobMoved(quint64 id, int from, int to);
    void addFailed(const QString &url, ferry::client::ErrorKind error, const QString &errorString);
    // The queue became idle (see isIdle()).
    void idle();

private:
    DownloadJob *append(DownloadJob *job);
    QString claimFreePath(const QString &localPath) const;
    void schedule();
    void scheduleSoon();
    void checkIdle();
    void onWalkerFinished(TreeWalker *walker);

    QList<DownloadJob *> m_jobs;
    QList<TreeWalker *> m_walkers;
    ConnectionPool *m_pool;
    int m_maxConcurrent = DefaultMaxConcurrent;
    ExistingFilePolicy m_policy = ExistingFilePolicy::Rename;
    RetryPolicy m_retryPolicy;
    RateLimiter m_limiter;
    QHash<QString, QList<FerryUrl>> m_mirrors; // by "host:port"
    bool m_verify = true;
    bool m_scheduled = false;
    bool m_wasIdle = true;
};

} // namespace ferry::client
