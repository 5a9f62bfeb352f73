// One download of the saved queue as read back from disk (DownloadJob::toJson() wrote it), checked field
// by field. Apart from DownloadJob so that the fuzz build reads it without the engine.
#pragma once

#include "clienttypes.h"
#include "ferryurl.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace ferry::client {

// The file the queue lives in may be cut short, edited or written by something else. What cannot name
// the download safely (no link, a final path that is not absolute and clean, a published SHA-256 that is
// not one) drops the entry; any other damaged field is reset to its default and named in `damage`, and
// the job comes back Failed with that message so that the user sees it and may retry.
struct SavedJob {
    FerryUrl url;
    QString localPath; // absolute, clean (no "." or ".." component), no NUL
    ExistingFilePolicy policy = ExistingFilePolicy::Rename;
    bool destinationResolved = false;
    bool partIsUsersFile = false; // only under the Resume policy
    qint64 totalBytes = -1;       // -1: unknown
    qint64 receivedBytes = 0;     // within totalBytes when known
    bool skipped = false;
    QList<FerryUrl> mirrors;
    bool verify = true;
    bool verified = false;       // only with a whole-file sha256
    QByteArray sha256;           // empty or 32 bytes
    QByteArray expectedSha256;   // empty or 32 bytes
    qint64 speedLimit = 0;       // >= 0
    QString state;               // a DownloadJob::State name, checked by DownloadJob::fromJson
    ErrorKind error = ErrorKind::NoError;
    QString errorString;
    QString damage; // empty, or the first damaged field and why: "receivedBytes: not a size"

    // nullopt (and `why`) for an entry that has to be dropped.
    static std::optional<SavedJob> read(const QJsonObject &json, QString *why = nullptr);
};

// The saved queue's text (a JSON array of SavedJob objects) as far as it can be read: a file cut short
// keeps the entries before the cut. `damage` (when given) is set to one line when anything was lost.
QJsonArray readSavedQueue(const QByteArray &text, QString *damage = nullptr);

} // namespace ferry::client
