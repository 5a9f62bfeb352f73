// A session with one Ferry server: connect, handshake, list folders, stat paths.
#pragma once

#include "clienttypes.h"
#include "manifest.h"
#include "serverlist.h"

#include <QList>
#include <QObject>
#include <QString>

#include "protocol/messages.h"

#include <deque>

namespace ferry::client {

class Connection;

// Requests run one after another on a single connection that is reused for the
// session's lifetime. The first request connects on demand; a connection the
// server closed while idle (its park timeout) is reopened transparently and the
// request sent again. A request that fails is answered with requestFailed and the
// next one proceeds; a lost connection fails the request in flight and sets
// state() to Failed until the next request reconnects.
//
// With several servers of one fleet (setServers()), a refused connection, BUSY, or a
// connection lost before the front request got any answer moves the session to the
// next server in the list's order (from the last one round to the first), each tried
// once per request; host() and port() name the server in use. A request that has
// had part of its answer (some LIST pages) fails instead: resending it elsewhere
// would repeat those pages.
class Session : public QObject
{
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Ready, Failed };
    Q_ENUM(State)

    explicit Session(QObject *parent = nullptr);
    ~Session() override;

    // Chooses the server; a change drops the current connection and pending requests.
    void setServer(const QString &host, quint16 port);
    // The servers of one fleet (serverlist.h), the first to be used first; a change of list drops
    // the connection and pending requests as setServer() does. Empty: no server.
    void setServers(const QList<ServerAddress> &servers);
    // The servers `url` names; for a bare domain those its DNS SRV record names (ServerResolver), the
    // requests waiting for the lookup (without a record, the domain itself on the default port). The
    // URL's pin holds for every server found.
    void setServersOf(const FerryUrl &url);
    QList<ServerAddress> servers() const { return m_servers; }
    // The server in use (or to be used next).
    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    QString serverAgent() const { return m_serverAgent; }

    // Connects and handshakes now (requests do it on demand anyway).
    void connectToServer();
    // Closes the connection and fails every pending request with ConnectionError.
    void disconnectFromServer();

    State state() const { return m_state; }
    ErrorKind error() const { return m_error; }
    QString errorString() const { return m_errorString; }

    // Queue a request; the returned id appears in the answering signal.
    quint64 list(const QString &path);
    quint64 stat(const QString &path);
    // The SHA-256 of the whole file. From a server that offers `manifest` it is the manifest's last
    // entry (PROTOCOL.md §10.5), the manifest refused (ProtocolError, one sentence) when its entry
    // count does not fit the size or its root does not match the entries, as a verified download
    // refuses it; every page is read, as MANIFEST has no way to ask for the last one alone. From a
    // server without manifests (version 1, or one that offers none) it is a DIGEST from 0 to the end:
    // the same number, at the cost of one more hashing pass on that server.
    quint64 sha256(const QString &path);
    int pendingRequests() const { return int(m_requests.size()); }

signals:
    void stateChanged(ferry::client::Session::State state);
    void errorOccurred(ferry::client::ErrorKind error, const QString &errorString);
    // One page of a LIST answer; `last` is true on the final page (possibly empty).
    void listPageReceived(quint64 requestId, const QList<ferry::client::RemoteEntry> &entries, bool last);
    void statReceived(quint64 requestId, const ferry::client::RemoteEntry &entry);
    // The 32 raw bytes of a sha256() answer.
    void sha256Received(quint64 requestId, const QByteArray &digest);
    void requestFailed(quint64 requestId, ferry::client::ErrorKind error, const QString &errorString);

private:
    enum class RequestKind { List, Stat, Sha256 };
    struct Request {
        quint64 id = 0;
        RequestKind kind = RequestKind::List;
        QString path;
        bool sent = false;
        bool viaManifest = false; // a sha256() sent as MANIFEST (else as DIGEST)
        bool answered = false; // some reply arrived: a drop now is not an idle close
        int resends = 0;
    };

    void setState(State state);
    void dropLookup();
    void onServersResolved(const QList<ServerAddress> &servers, const QString &fingerprint);
    void ensureConnection();
    void sendNext();
    void onReady();
    void onMessage(const ferry::proto::Message &message);
    static bool isIdleClose(const proto::Message &message);
    void closeIdleConnection();
    void onListPage(const proto::ListPage &page);
    void onStatReply(const proto::StatReply &reply);
    void onDigestReply(const proto::DigestReply &reply);
    void onManifestPage(const proto::ManifestPage &page);
    void onConnectionFailed(ferry::client::ErrorKind kind, const QString &reason, int retryAfterMs);
    void finishFront();
    bool retryable(ErrorKind kind, bool wasReady);
    bool moveToNextServer();
    void failAll(ErrorKind kind, const QString &reason);
    quint64 enqueue(RequestKind kind, const QString &path);

    QString m_host;
    quint16 m_port = 0;
    QList<ServerAddress> m_servers;
    qsizetype m_serverIndex = 0;
    qsizetype m_serversTried = 0; // for the front request, since one of them answered
    ServerResolver *m_resolver = nullptr; // an SRV lookup under way: requests wait for it
    QString m_serverAgent;
    State m_state = State::Disconnected;
    ErrorKind m_error = ErrorKind::NoError;
    QString m_errorString;
    Connection *m_connection = nullptr;
    std::deque<Request> m_requests;
    ManifestAssembler m_manifest; // the pages of the front request's MANIFEST so far
    quint64 m_nextId = 1;
    int m_busyRetries = 0;
};

} // namespace ferry::client
