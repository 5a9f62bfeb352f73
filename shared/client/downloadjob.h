// One file download: remote file -> "name.part" in the destination -> "name".
#pragma once

#include "clienttypes.h"
#include "ferryurl.h"
#include "serverlist.h"
#include "partfile.h"
#include "ratelimiter.h"
#include "retrypolicy.h"
#include "speedmeter.h"
#include "verifieddownload.h"

#include "protocol/messages.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QTimer>

namespace ferry::client {

class Connection;
class ConnectionPool;
struct SavedJob;

// Writes the remote file to `localPath() + ".part"`, recording the remote size and
// mtime beside it in `name.part.ferry` (a small JSON file, see partfile.h). A later
// attempt — after a pause, a network error, or a restart of the program — resumes
// from the part's size when the remote file is unchanged and starts over when it
// changed. Only after BODY_END Ok with every byte on disk is the part fsync'ed and
// renamed into place with rename(2), so `localPath()` never holds a partial file.
//
// Life cycle: Queued -> Connecting -> Transferring -> Finishing -> Done, with Paused
// reachable from the active states and Failed / Canceled as the other endings.
// Errors that retrying can fix (RetryPolicy::canRetryFix: the server unreachable,
// gone, busy) are retried inside Connecting with a capped backoff, for as long as
// retryPolicy() allows (by default without end); statusText() counts down to the
// next try. Other errors end the job Failed at once. Failed keeps the .part for retry();
// Canceled deletes it. Under the Resume policy the .part is the user's existing file,
// renamed: a job that fails or is canceled renames it back (see giveBackUsersFile()).
//
// The job's progress signal is coalesced: at most ~10 progressChanged per second.
class DownloadJob : public QObject
{
    Q_OBJECT
public:
    enum class State { Queued, Connecting, Transferring, Paused, Finishing, Done, Failed, Canceled };
    Q_ENUM(State)

    // `localPath` is the final file (its folder is created when missing).
    DownloadJob(const FerryUrl &url, const QString &localPath, ExistingFilePolicy policy,
                QObject *parent = nullptr);
    ~DownloadJob() override;

    // Unique within the process, never reused.
    quint64 id() const { return m_id; }
    FerryUrl url() const { return m_url; }
    // Points the job at another server (e.g. one restarted on a new port). Takes
    // effect at the next attempt; the .part is still resumed if the file is unchanged.
    void setUrl(const FerryUrl &url);
    // The final path; with the Rename policy it changes once, when the job starts.
    QString localPath() const { return m_localPath; }
    QString partPath() const { return PartFile::partPathFor(m_localPath); }
    QString fileName() const;
    ExistingFilePolicy existingFilePolicy() const { return m_policy; }

    State state() const { return m_state; }
    bool isActive() const; // Connecting, Transferring or Finishing
    bool isFinished() const; // Done, Failed or Canceled
    ErrorKind error() const { return m_error; }
    QString errorString() const { return m_errorString; }
    // A line for a status column: "Waiting for server (busy), retry in 2 s", ...
    QString statusText() const { return m_statusText; }

    qint64 totalBytes() const { return m_totalBytes; } // -1 until known (setKnownSize() or the server)
    // The size a listing reported, for display before the transfer starts; the server's
    // BODY replaces it. Ignored (returns false) once the job has started, or for bytes < 0.
    bool setKnownSize(qint64 bytes);
    qint64 receivedBytes() const { return m_receivedBytes; } // including a resumed part
    qint64 bytesPerSecond() const; // over the last few seconds
    qint64 etaSeconds() const; // -1: unknown (stalled, or size not yet known)
    // Where the current (or last) attempt started in the file: > 0 means it resumed.
    qint64 resumedFrom() const { return m_resumedFrom; }
    bool wasSkipped() const { return m_skipped; }

    // Verified downloads (a server offering manifests, see verifieddownload.h).
    // Other servers with the same file at the same path: chunks come from all of them.
    QList<FerryUrl> mirrors() const { return m_mirrors; }
    void setMirrors(const QList<FerryUrl> &mirrors) { m_mirrors = mirrors; }
    // The listing that found this file (TreeWalker) passed over the servers before mirror `mirrorInUse`
    // for not speaking Ferry, for `reasons`: the job starts there instead of waiting on them again, and
    // reports them (sourceDropped) once, when it starts. Call after setMirrors(), before start().
    void startAtMirror(int mirrorInUse, const QStringList &reasons);
    // A SHA-256 (raw 32 bytes) the file must have, published elsewhere; empty for none.
    void setExpectedSha256(const QByteArray &digest) { m_expectedSha256 = digest; }
    // Whether to use a server's manifest at all (default true); false fetches as from a
    // version 1 server, checked by size and mtime only.
    void setVerify(bool verify) { m_verify = verify; }
    // At most this many connections per server for this file (the server may allow fewer).
    void setMaxStreams(int streams) { m_maxStreams = streams; }
    // Done, and every chunk matched the server's manifest.
    bool isVerified() const { return m_verified; }
    // The whole file's SHA-256 (raw bytes), known once a verified download is Done.
    QByteArray sha256() const { return m_sha256; }
    // Mirrors (or the server) dropped for this file, each "host:port: why".
    QStringList droppedSources() const { return m_droppedSources; }
    int attempts() const { return m_attempts; }

    // Where finished downloads leave their connection for the next job, and where
    // this job looks for one first (a DownloadQueue sets its own). Not owned.
    void setConnectionPool(ConnectionPool *pool) { m_pool = pool; }

    // This download's own speed limit in bytes per second, 0 for none; it applies at once.
    qint64 speedLimit() const { return m_speedLimit.bytesPerSecond(); }
    void setSpeedLimit(qint64 bytesPerSecond);
    // A limit shared with other downloads (the queue's), applied on top of the own one. Not owned.
    void setSharedLimiter(RateLimiter *limiter) { m_sharedLimiter = limiter; }

    RetryPolicy retryPolicy() const { return m_retryPolicy; }
    void setRetryPolicy(const RetryPolicy &policy) { m_retryPolicy = policy; }

    // Starts a Queued job (a DownloadQueue calls this when a slot is free).
    void start();
    // Stops the transfer and keeps the .part; resume() puts the job back to Queued.
    void pause();
    void resume();
    // Stops the job and deletes its .part.
    void cancel();
    // Whether the job waits to try again after a network failure (not after BUSY,
    // whose delay is the server's wish).
    bool isWaitingForServer() const;
    // Ends that wait now: the server is known to answer again.
    void retryNow();
    // A Failed or Canceled job back to Queued, with fresh retry counters.
    void retry();
    // Under the Resume policy the .part is the user's own file: gives it its name back,
    // with any bytes appended so far, and forgets the adoption so that a later run adopts
    // it again. For a job being dropped while Paused; fail() and cancel() do it themselves.
    // False (and nothing changes) when the .part is not the user's file or the rename fails.
    bool giveBackUsersFile();

    // Persistence: everything needed to recreate the job after a restart. fromJson() checks every field
    // (savedjob.h): nullptr, and `why` in one line, for an entry it drops; a job Failed with the damage in
    // errorString() for one it cannot trust otherwise.
    QJsonObject toJson() const;
    static DownloadJob *fromJson(const QJsonObject &json, QObject *parent = nullptr, QString *why = nullptr);

signals:
    void stateChanged(ferry::client::DownloadJob::State state);
    void statusTextChanged(const QString &text);
    void progressChanged(qint64 receivedBytes, qint64 totalBytes);
    void errorOccurred(ferry::client::ErrorKind error, const QString &errorString);
    // An attempt failed with `error` and the next one starts in `delayMs`.
    void retryScheduled(ferry::client::ErrorKind error, int delayMs);
    // The server completed a handshake for this job: other jobs waiting for it may try now.
    void serverReached();
    // A mirror (or the server) was dropped for this file; the download goes on without it.
    void sourceDropped(const QString &reason);
    // Reached Done, Failed or Canceled.
    void finished();

private:
    void restoreSaved(const SavedJob &saved);
    void restoreDamaged(const QString &damage);
    void restoreAs(State state, const SavedJob &saved);
    void setState(State state);
    void setStatusText(const QString &text);
    void beginAttempt();
    bool resolveDestination();
    void onConnected();
    void onMessage(const ferry::proto::Message &message);
    void sendGet();
    void onDigest(const ferry::proto::DigestReply &reply);
    void onError(const ferry::proto::Error &error);
    void onBody(const ferry::proto::Body &body);
    bool partMatches(const ferry::proto::Body &body) const;
    void onBodyEnd(const ferry::proto::BodyEnd &end);
    bool onBodyBytes(const char *data, qint64 size);
    ReadBudget paceBody(qint64 wanted);
    void onConnectionFailed(ferry::client::ErrorKind kind, const QString &reason, int retryAfterMs);
    void completeDownload();
    bool useVerifiedPath() const;
    void startVerified();
    void onVerifiedFailed(ErrorKind kind, const QString &reason, VerifiedDownload::Cause cause);
    void onVerifiedCompleted(const QByteArray &sha256);
    void restartFromZero();
    void failAttempt(ErrorKind kind, const QString &reason, int retryAfterMs = 0);
    void waitToRetry(ErrorKind kind, const QString &reason, int delayMs);
    void updateWaitText();
    void stopWaiting();
    void fail(ErrorKind kind, const QString &reason);
    void finishAs(State state);
    void dropConnection();
    void attachConnection(Connection *connection);
    void releaseConnection();
    void markProgress();
    void flushProgress();
    // The servers this job may use (downloadjobservers.cpp): false while an SRV lookup runs, which
    // starts the attempt when it ends.
    bool resolveServers();
    ServerAddress currentServer() const;
    // After a failed attempt: moves on to the next server of the list and starts at once, until each
    // has been tried once since bytes last moved. False: none left this round, back off as usual.
    bool failOver(ErrorKind kind);
    bool tryNextServer();
    // A failure that only this server gives (it does not speak Ferry, or not correctly): with mirrors, the
    // next one not yet passed over serves the file instead, and this one is dropped for it with the reason
    // shown; with none left, the job fails naming every reason. False: not such a failure, or no mirrors.
    bool passToMirror(ErrorKind kind, const QString &reason);
    // Another server of the list has a different version of the file than the .part's verified
    // chunks: the next server is tried; when none is left this round, the job fails with `reason`.
    void onOtherVersion(const QString &reason);

    static quint64 nextId();

    quint64 m_id;
    FerryUrl m_url;
    QString m_localPath;
    ExistingFilePolicy m_policy;
    bool m_destinationResolved = false;
    State m_state = State::Queued;
    ErrorKind m_error = ErrorKind::NoError;
    QString m_errorString;
    QString m_statusText;
    RetryPolicy m_retryPolicy;

    Connection *m_connection = nullptr;
    ConnectionPool *m_pool = nullptr;
    bool m_reusedConnection = false; // taken from the pool, no answer yet this attempt
    PartFile m_part;
    qint64 m_totalBytes = -1;
    qint64 m_receivedBytes = 0;
    qint64 m_resumedFrom = 0;
    qint64 m_requestOffset = 0;
    // The .part is the user's existing file (Resume policy): resumable by size until the
    // first BODY records metadata, and renamed back rather than deleted if the job ends early.
    bool m_partIsUsersFile = false;
    std::optional<PartMeta> m_partMeta;
    int m_restarts = 0;
    // Resuming compares the digest of the part's last block (at most this much) with the server's.
    static constexpr qint64 VerifyTailBytes = 1024 * 1024;
    QByteArray m_tailDigest;
    bool m_awaitingDigest = false;
    qint64 m_lastProgressMs = 0;
    qint64 m_bodyExpected = 0;
    bool m_bodyActive = false;
    bool m_skipped = false;
    int m_attempts = 0;
    int m_connectionFailures = 0;
    int m_busyFailures = 0;
    bool m_progressedThisAttempt = false;

    VerifiedDownload *m_verifiedDownload = nullptr;
    QList<FerryUrl> m_mirrors;
    QByteArray m_expectedSha256;
    QByteArray m_sha256;
    bool m_verified = false;
    bool m_verify = true;
    bool m_manifestRefused = false; // the server has no manifest for this file after all
    int m_maxStreams = 8;
    QStringList m_droppedSources;
    int m_mirrorInUse = -1;   // index in m_mirrors serving in place of the job's server (passToMirror())
    QStringList m_passedOver; // why the servers before it were dropped
    QStringList m_unannounced; // of those, the ones the listing found: sourceDropped at start()

    RateLimiter m_speedLimit;
    RateLimiter *m_sharedLimiter = nullptr;
    QTimer m_retryTimer;            // precise: the next try comes when the countdown says it does
    QDeadlineTimer m_retryDeadline; // when m_retryTimer fires; the countdown is figured from it
    QTimer m_waitTicker;            // counts the wait down in statusText(): armed for the next whole second
    ErrorKind m_waitKind = ErrorKind::NoError;
    QString m_waitReason;
    QTimer m_progressTimer;
    QTimer m_heartbeat;
    bool m_progressDirty = false;
    QElapsedTimer m_clock;
    SpeedMeter m_speed;
    QList<ServerAddress> m_servers; // empty until resolved; then at least one
    qsizetype m_serverIndex = 0;
    qsizetype m_serversFailed = 0;  // in a row, since bytes last moved
    QString m_otherVersion;         // why a server of this round was refused (onOtherVersion), or ""
    ServerResolver *m_resolver = nullptr;
};

} // namespace ferry::client
