// DownloadJob persistence: kept apart from the transfer logic it has nothing to do with.
#include "downloadjob.h"

#include <QJsonArray>
#include <QMetaEnum>

namespace ferry::client {

namespace {

QString stateName(DownloadJob::State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<DownloadJob::State>().valueToKey(int(state)));
}

DownloadJob::State stateFromName(const QString &name)
{
    bool ok = false;
    const int value = QMetaEnum::fromType<DownloadJob::State>().keyToValue(name.toLatin1().constData(), &ok);
    return ok ? DownloadJob::State(value) : DownloadJob::State::Queued;
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
// does a job that failed for a reason that retrying can fix.
DownloadJob *DownloadJob::fromJson(const QJsonObject &json, QObject *parent)
{
    const auto url = FerryUrl::parse(json.value(QLatin1String("url")).toString());
    const QString localPath = json.value(QLatin1String("localPath")).toString();
    if (!url || localPath.isEmpty())
        return nullptr;
    const auto policy = policyFromName(json.value(QLatin1String("policy")).toString());
    auto *job = new DownloadJob(*url, localPath, policy.value_or(ExistingFilePolicy::Rename), parent);
    job->m_destinationResolved = json.value(QLatin1String("destinationResolved")).toBool();
    job->m_partIsUsersFile = json.value(QLatin1String("partIsUsersFile")).toBool();
    job->m_totalBytes = json.value(QLatin1String("totalBytes")).toString().toLongLong();
    job->m_receivedBytes = json.value(QLatin1String("receivedBytes")).toString().toLongLong();
    job->m_skipped = json.value(QLatin1String("skipped")).toBool();
    for (const QJsonValue &mirror : json.value(QLatin1String("mirrors")).toArray()) {
        if (const auto mirrorUrl = FerryUrl::parse(mirror.toString()))
            job->m_mirrors << *mirrorUrl;
    }
    job->m_verify = json.value(QLatin1String("verify")).toBool(true);
    job->m_verified = json.value(QLatin1String("verified")).toBool();
    job->m_sha256 = QByteArray::fromHex(json.value(QLatin1String("sha256")).toString().toLatin1());
    job->m_expectedSha256 = QByteArray::fromHex(json.value(QLatin1String("expectedSha256")).toString().toLatin1());
    job->setSpeedLimit(json.value(QLatin1String("speedLimit")).toString().toLongLong());
    const State state = stateFromName(json.value(QLatin1String("state")).toString());
    switch (state) {
    case State::Done:
    case State::Canceled:
    case State::Paused:
        job->m_state = state;
        break;
    case State::Failed:
        job->m_error = ErrorKind(json.value(QLatin1String("error")).toInt());
        if (RetryPolicy::canRetryFix(job->m_error)) { // saved by a version that gave up on outages
            job->m_error = ErrorKind::NoError;
            job->m_state = State::Queued;
            job->m_receivedBytes = PartFile::resumableBytes(localPath);
            break;
        }
        job->m_state = state;
        job->m_errorString = json.value(QLatin1String("errorString")).toString();
        job->m_statusText = job->m_errorString;
        break;
    case State::Queued:
    case State::Connecting:
    case State::Transferring:
    case State::Finishing:
        job->m_state = State::Queued;
        job->m_receivedBytes = PartFile::resumableBytes(localPath);
        break;
    }
    return job;
}

} // namespace ferry::client
