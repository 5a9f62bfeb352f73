// `ferry-get sum URL...`: one sha256sum line per remote file, without downloading it. The number is
// the SHA-256 of the whole file, which `sha256sum -c` checks after a download: the manifest's last
// entry (PROTOCOL.md §10.5; its root is a digest over chunk entries and would match nothing local),
// so a verified download of the file afterwards finds the server's manifest cached, and the file is
// hashed there once for both. A server without manifests is asked for a DIGEST of the whole file
// instead (Session::sha256()): the same number, and `sum` keeps working against version 1 servers.
#pragma once

#include "client/clienttypes.h"
#include "client/ferryurl.h"

#include <QList>
#include <QObject>

namespace ferry::client {
class Session;
}

namespace ferry::get {

class SumCommand : public QObject
{
    Q_OBJECT
public:
    explicit SumCommand(const QList<client::FerryUrl> &urls, QObject *parent = nullptr);

    // Asks for each URL in turn, printing lines in the order given; finished() carries the exit code of
    // the first failure (ExitSuccess if none).
    void start();

signals:
    void finished(int exitCode);

private:
    void askNext();
    void onDigest(quint64 id, const QByteArray &digest);
    void onFailed(quint64 id, client::ErrorKind kind, const QString &reason);
    void onStat(quint64 id, const client::RemoteEntry &entry);
    // Prints why the current URL has no line, keeps the first failure's exit code, and moves on.
    void report(client::ErrorKind kind, const QString &message);
    // "URL: reason", for the current URL.
    QString failureText(const QString &reason) const;
    // What a folder is told: sum takes files, and how to name one.
    QString folderText() const;

    QList<client::FerryUrl> m_urls;
    qsizetype m_next = 0;
    client::Session *m_session = nullptr; // one connection per server in a row of URLs
    quint64 m_requestId = 0;
    // A refused MANIFEST (or DIGEST) is followed by a STAT of the same path, to tell a folder from a
    // missing file; the refusal's own reason is what is printed for anything but a folder.
    quint64 m_statId = 0;
    QString m_refusalReason;
    int m_exitCode = 0;
};

// The sha256sum line for `name` ("HEX  NAME"), escaped as GNU sha256sum does when the name holds a
// backslash or a newline (a leading '\', then "\\" and "\n").
QByteArray sha256sumLine(const QByteArray &digest, const QString &name);

} // namespace ferry::get
