// The window's link to one server: its session, and how healthy it looks.
#pragma once

#include "client/downloadjob.h"
#include "client/ferryurl.h"

#include <QHash>
#include <QObject>
#include <QString>

namespace ferry::client {
class DownloadQueue;
class Session;
}

namespace ferry::gui {

// The session connects on demand and may sit idle for a long time, so it alone
// cannot tell that the server went away. Downloads notice first: when one of
// them loses its connection, the link probes the server with the session, and a
// failed probe turns the status to Lost with the reason (Unreachable if it never
// answered at all). retry() reconnects; once
// the server answers again, downloads waiting for it try at once.
//
// A link may name several servers of one fleet (ferry://a:4646,b:4646/): the session
// browses from the first that answers, moving on as downloads do (session.h), and
// address() names the one in use.
class ServerLink : public QObject
{
    Q_OBJECT
public:
    // Unreachable: no connection to this server ever succeeded; Lost: one did, and it went away.
    enum class Status { Disconnected, Connecting, Connected, Unreachable, Lost };
    Q_ENUM(Status)

    explicit ServerLink(client::DownloadQueue *queue, QObject *parent = nullptr);

    client::Session *session() const { return m_session; }
    void setServer(const QString &host, quint16 port);
    // The servers of one fleet, in the order to try them.
    void setServers(const QList<client::ServerAddress> &servers);
    // The servers `url` names, or those a bare domain's DNS SRV record names (Session::setServersOf()).
    void setServersOf(const client::FerryUrl &url);
    QList<client::ServerAddress> servers() const;
    bool hasServer() const;
    QString address() const; // "host:port" of the server in use
    // The servers as they were named, as the connect bar takes them: "a:4646,b:4646", or the domain
    // whose SRV record names them.
    QString serversText() const;
    // Whether `url` names this link's servers (all of them, or one of them alone).
    bool isServing(const client::FerryUrl &url) const;
    // A download's URL: every server, the one in use first, then the others in the list's order.
    client::FerryUrl urlFor(const QString &path) const;

    Status status() const { return m_status; }
    QString detail() const { return m_detail; }
    // Reconnects now (the Retry button).
    void retry();

    // A failure of `server` told in one line: the engine's reason for a changed known identity is a
    // many-line warning for a terminal, and its first-contact refusal gives ferry-get's advice; the
    // window's dialogs (trustprompter.h) show the details and ask.
    static QString failureText(client::ErrorKind kind, const QString &server, const QString &why);

signals:
    void statusChanged(ferry::gui::ServerLink::Status status, const QString &detail);

private:
    void onSessionState();
    void onJobAdded(ferry::client::DownloadJob *job);
    void onJobState(client::DownloadJob *job, client::DownloadJob::State state);
    bool isOurs(const client::DownloadJob *job) const;
    void probe();
    void retryLostJobs();
    void setStatus(Status status, const QString &detail);
    void startOver();
    bool isDown() const { return m_status == Status::Lost || m_status == Status::Unreachable; }

    client::DownloadQueue *m_queue;
    client::Session *m_session;
    QHash<quint64, client::DownloadJob::State> m_jobStates;
    Status m_status = Status::Disconnected;
    QString m_detail;
    bool m_probing = false;
    bool m_everConnected = false; // since setServer()
    QString m_srvDomain; // the bare domain the servers were looked up for, or ""
};

} // namespace ferry::gui
