// DownloadJob persistence: kept apart from the transfer logic it has nothing to do with.
#include "downloadjob.h"
#include "savedjob.h"

#include <QJsonArray>
#include <QMetaEnum>

namespace ferry::client {

namespace {

QString stateName(DownloadJob::State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<DownloadJob::State>().valueToKey(int(state)));
}

// Queued for none (an entry from before states were saved), nullopt for an unknown one.
std::optional<DownloadJob::State> stateFromName(const QString &name)
{
    if (name.isEmpty())
        return DownloadJob::State::Queued;
    bool ok = false;
    const QMetaEnum states = QMetaEnum::fromType<DownloadJob::State>();
    const int value = states.keyToValue(name.toLatin1().constData(), &ok);
    return ok && states.valueToKey(value) ? std::optional(DownloadJob::State(value)) : std::nullopt;
}

} // namespace

QJsonObject DownloadJob::toJson() const
{
    QJsonArray mirrors;
    for (const FerryUrl &mirror : m_mirrors)
        mirrors.append(mirror.toString());
    return QJsonObject{
        {QLatin1String("mirrors"), mirrors},
        {QLatin1String("verify"), m_verify},
        {QLatin1String("verified"), m_verified},
        {QLatin1String("sha256"), QString::fromLatin1(m_sha256.toHex())},
        {QLatin1String("expectedSha256"), QString::fromLatin1(m_expectedSha256.toHex())},
        {QLatin1String("url"), m_url.toString()},
        {QLatin1String("localPath"), m_localPath},
        {QLatin1String("policy"), policyName(m_policy)},
        {QLatin1String("destinationResolved"), m_destinationResolved},
        {QLatin1String("partIsUsersFile"), m_partIsUsersFile},
        {QLatin1String("state"), stateName(m_state)},
        {QLatin1String("error"), int(m_error)},
        {QLatin1String("errorString"), m_errorString},
        {QLatin1String("totalBytes"), QString::number(m_totalBytes)},
        {QLatin1String("receivedBytes"), QString::number(m_receivedBytes)},
        {QLatin1String("skipped"), m_skipped},
        {QLatin1String("speedLimit"), QString::number(speedLimit())},
    };
}

// Active states come back as Queued: the transfer itself resumes from the .part. So
// does a job that failed for a reason that retrying can fix. A damaged entry (see
// SavedJob) comes back Failed and says so; one that cannot name its file safely, or
// names something other than a regular file or nothing (a device, a pipe), is dropped.
DownloadJob *DownloadJob::fromJson(const QJsonObject &json, QObject *parent, QString *why)
{
    std::optional<SavedJob> saved = SavedJob::read(json, why);
    if (!saved)
        return nullptr;
    if (PartFile::isStreamTarget(saved->localPath)) {
        if (why)
            *why = tr("%1: its file is a device or a pipe, not a regular file").arg(saved->url.toString());
        return nullptr;
    }
    std::optional<State> state = stateFromName(saved->state);
    if (!state && saved->damage.isEmpty())
        saved->damage = QStringLiteral("state: unknown");
    else if (state == State::Done && !saved->skipped
             && (saved->totalBytes < 0 || saved->receivedBytes != saved->totalBytes))
        saved->damage = QStringLiteral("state: Done with bytes missing");
    auto *job = new DownloadJob(saved->url, saved->localPath, saved->policy, parent);
    job->restoreSaved(*saved);
    if (!saved->damage.isEmpty())
        job->restoreDamaged(saved->damage);
    else
        job->restoreAs(*state, *saved);
    return job;
}

void DownloadJob::restoreSaved(const SavedJob &saved)
{
    m_destinationResolved = saved.destinationResolved;
    m_partIsUsersFile = saved.partIsUsersFile;
    m_totalBytes = saved.totalBytes;
    m_receivedBytes = saved.receivedBytes;
    m_skipped = saved.skipped;
    m_mirrors = saved.mirrors;
    m_verify = saved.verify;
    m_verified = saved.verified;
    m_sha256 = saved.sha256;
    m_expectedSha256 = saved.expectedSha256;
    setSpeedLimit(saved.speedLimit);
}

// Failed, never Done: nothing on disk is trusted as complete. retry() starts the job
// over from what its .part's own metadata allows.
void DownloadJob::restoreDamaged(const QString &damage)
{
    m_state = State::Failed;
    m_error = ErrorKind::LocalError;
    m_destinationResolved = false;
    m_verified = false;
    m_receivedBytes = 0;
    m_errorString = tr("The saved queue entry was damaged (%1); retry to download the file again.").arg(damage);
    m_statusText = m_errorString;
}

void DownloadJob::restoreAs(State state, const SavedJob &saved)
{
    switch (state) {
    case State::Done:
    case State::Canceled:
    case State::Paused:
        m_state = state;
        break;
    case State::Failed:
        m_error = saved.error;
        if (RetryPolicy::canRetryFix(m_error)) { // saved by a version that gave up on outages
            m_error = ErrorKind::NoError;
            m_state = State::Queued;
            m_receivedBytes = PartFile::resumableBytes(m_localPath);
            break;
        }
        m_state = state;
        m_errorString = saved.errorString;
        m_statusText = m_errorString;
        break;
    case State::Queued:
    case State::Connecting:
    case State::Transferring:
    case State::Finishing:
        m_state = State::Queued;
        m_receivedBytes = PartFile::resumableBytes(m_localPath);
        break;
    }
}

} // namespace ferry::client
