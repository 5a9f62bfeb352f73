// Lists a remote folder recursively and creates the matching local folders.
#pragma once

#include "clienttypes.h"
#include "ferryurl.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

namespace ferry::client {

class Session;

// Walks `url` on its own Session, one LIST at a time, depth first. Each folder is
// created under `localRoot` as it is found (so empty folders are mirrored too);
// each file is reported with fileFound. finished() comes once, after the last
// listing or the first error (error() then says which). With mirrors (servers holding the same
// tree), a first server that does not speak Ferry is passed over for the next one; the files found
// still carry `url`; their jobs start at the mirror the walk went on from (DownloadJob::startAtMirror()).
class TreeWalker : public QObject
{
    Q_OBJECT
public:
    TreeWalker(const FerryUrl &url, const QString &localRoot, QObject *parent = nullptr);

    void start();
    void setMirrors(const QList<FerryUrl> &mirrors) { m_mirrors = mirrors; }
    FerryUrl url() const { return m_root; }
    ErrorKind error() const { return m_error; }
    QString errorString() const { return m_errorString; }
    int fileCount() const { return m_fileCount; }
    // The mirror the walk went on from (-1: the URL's own server), and why those before it were passed over.
    int mirrorInUse() const { return m_mirrorInUse; }
    QStringList passedOver() const { return m_passedOver; }

signals:
    // `url` names a file; `localPath` is where it belongs.
    void fileFound(const ferry::client::FerryUrl &url, const QString &localPath, qint64 size);
    void finished();

private:
    void onStat(quint64 requestId, const ferry::client::RemoteEntry &entry);
    void onPage(quint64 requestId, const QList<ferry::client::RemoteEntry> &entries, bool last);
    void onFailed(quint64 requestId, ferry::client::ErrorKind error, const QString &errorString);
    void listNext();
    void useServers(const QList<ferry::client::ServerAddress> &servers);
    bool makeDir(const QString &path);
    void finish(ErrorKind error, const QString &errorString);
    bool passToMirror(ErrorKind error, const QString &errorString);

    struct Pending {
        QString remotePath;
        QString localPath;
    };

    FerryUrl m_root;
    QString m_localRoot;
    Session *m_session;
    QList<Pending> m_todo;
    Pending m_current;
    quint64 m_request = 0;
    ErrorKind m_error = ErrorKind::NoError;
    QString m_errorString;
    int m_fileCount = 0;
    QList<FerryUrl> m_mirrors;
    int m_mirrorInUse = -1;
    bool m_statPending = false; // the first request, the only one a mirror takes over
    QStringList m_passedOver;
    bool m_done = false;
};

} // namespace ferry::client
