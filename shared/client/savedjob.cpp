#include "savedjob.h"

#include <QDir>
#include <QJsonDocument>

namespace ferry::client {

namespace {

std::optional<SavedJob> dropped(QString *why, const QString &reason)
{
    if (why)
        *why = reason;
    return std::nullopt;
}

// Sizes are decimal strings (JSON numbers are doubles); a missing one is `fallback`.
std::optional<qint64> decimal(const QJsonObject &json, QLatin1String key, qint64 fallback)
{
    const QJsonValue value = json.value(key);
    if (value.isUndefined())
        return fallback;
    bool ok = false;
    const qint64 number = value.toString().toLongLong(&ok);
    return ok ? std::optional(number) : std::nullopt;
}

// A SHA-256 as 64 hex digits, or empty; nullopt for anything else (QByteArray::fromHex skips what is not hex).
std::optional<QByteArray> digest(const QJsonObject &json, QLatin1String key)
{
    const QString hex = json.value(key).toString();
    if (hex.isEmpty())
        return QByteArray();
    const QByteArray bytes = QByteArray::fromHex(hex.toLatin1());
    if (hex.size() != 64 || bytes.toHex() != hex.toLatin1().toLower())
        return std::nullopt;
    return bytes;
}

// A final path that points where it says: a later download creates or replaces exactly this file.
bool isCleanAbsolutePath(const QString &path)
{
    return QDir::isAbsolutePath(path) && QDir::cleanPath(path) == path && !path.contains(QChar(0))
           && !path.endsWith(u'/');
}

std::optional<ErrorKind> errorKind(const QJsonValue &value)
{
    if (value.isUndefined())
        return ErrorKind::NoError;
    const double number = value.toDouble(-1); // the range first: a huge double does not convert to int
    if (!(number >= int(ErrorKind::NoError) && number <= int(ErrorKind::IdentityChanged)) || number != int(number))
        return std::nullopt;
    return ErrorKind(int(number));
}

void noteDamage(SavedJob &job, const QString &what)
{
    if (job.damage.isEmpty())
        job.damage = what;
}

void readSizes(const QJsonObject &json, SavedJob &job)
{
    const auto total = decimal(json, QLatin1String("totalBytes"), -1);
    const auto received = decimal(json, QLatin1String("receivedBytes"), 0);
    const auto limit = decimal(json, QLatin1String("speedLimit"), 0);
    if (!total || *total < -1)
        noteDamage(job, QStringLiteral("totalBytes: not a size"));
    else if (!received || *received < 0 || (*total >= 0 && *received > *total))
        noteDamage(job, QStringLiteral("receivedBytes: not a size within the file's"));
    else {
        job.totalBytes = *total;
        job.receivedBytes = *received;
    }
    if (!limit || *limit < 0)
        noteDamage(job, QStringLiteral("speedLimit: not a rate"));
    else
        job.speedLimit = *limit;
}

void readFlags(const QJsonObject &json, SavedJob &job)
{
    const QString policy = json.value(QLatin1String("policy")).toString();
    if (const auto known = policyFromName(policy))
        job.policy = *known;
    else if (!policy.isEmpty())
        noteDamage(job, QStringLiteral("policy: unknown"));
    job.destinationResolved = json.value(QLatin1String("destinationResolved")).toBool();
    job.partIsUsersFile = json.value(QLatin1String("partIsUsersFile")).toBool();
    if (job.partIsUsersFile && job.policy != ExistingFilePolicy::Resume) {
        job.partIsUsersFile = false;
        noteDamage(job, QStringLiteral("partIsUsersFile: only the Resume policy adopts a file"));
    }
    job.skipped = json.value(QLatin1String("skipped")).toBool();
    job.verify = json.value(QLatin1String("verify")).toBool(true);
    if (const auto sha256 = digest(json, QLatin1String("sha256")))
        job.sha256 = *sha256;
    else
        noteDamage(job, QStringLiteral("sha256: not a SHA-256"));
    job.verified = json.value(QLatin1String("verified")).toBool() && job.sha256.size() == 32;
    if (const auto error = errorKind(json.value(QLatin1String("error"))))
        job.error = *error;
    else
        noteDamage(job, QStringLiteral("error: not a known kind"));
}

} // namespace

std::optional<SavedJob> SavedJob::read(const QJsonObject &json, QString *why)
{
    SavedJob job;
    const auto url = FerryUrl::parse(json.value(QLatin1String("url")).toString());
    if (!url)
        return dropped(why, QStringLiteral("no valid ferry:// link"));
    job.url = *url;
    job.localPath = json.value(QLatin1String("localPath")).toString();
    if (!isCleanAbsolutePath(job.localPath))
        return dropped(why, QStringLiteral("%1: its file is not an absolute, clean path").arg(url->toString()));
    const auto expected = digest(json, QLatin1String("expectedSha256"));
    if (!expected) // retrying without it would drop the check the user asked for
        return dropped(why, QStringLiteral("%1: its expected SHA-256 is damaged").arg(url->toString()));
    job.expectedSha256 = *expected;
    for (const QJsonValue &mirror : json.value(QLatin1String("mirrors")).toArray()) {
        if (const auto mirrorUrl = FerryUrl::parse(mirror.toString()))
            job.mirrors << *mirrorUrl;
    }
    readFlags(json, job);
    readSizes(json, job);
    const QJsonValue state = json.value(QLatin1String("state"));
    if (!state.isUndefined() && !state.isString())
        noteDamage(job, QStringLiteral("state: not a name"));
    job.state = state.toString();
    job.errorString = json.value(QLatin1String("errorString")).toString();
    return job;
}

// Each try cuts after an earlier '}' and closes the array there: a cut inside the last entry loses only
// that entry. Bounded, so that a long damaged text costs a few parses, not one per brace.
QJsonArray readSavedQueue(const QByteArray &text, QString *damage)
{
    constexpr int MaxCuts = 64;
    if (text.trimmed().isEmpty())
        return {};
    QJsonParseError error;
    const QJsonDocument whole = QJsonDocument::fromJson(text, &error);
    if (whole.isArray())
        return whole.array();
    if (damage)
        *damage = whole.isNull() ? QStringLiteral("the saved queue is damaged at byte %1 (%2)")
                                       .arg(error.offset)
                                       .arg(error.errorString())
                                 : QStringLiteral("the saved queue is not a list");
    if (!text.trimmed().startsWith('['))
        return {};
    qsizetype end = whole.isNull() ? qsizetype(error.offset) : 0;
    for (int cut = 0; cut < MaxCuts; ++cut) {
        end = end > 0 ? text.lastIndexOf('}', end - 1) : -1;
        if (end < 0)
            break;
        const QJsonDocument prefix = QJsonDocument::fromJson(text.left(end + 1) + ']');
        if (prefix.isArray())
            return prefix.array();
    }
    return {};
}

} // namespace ferry::client
