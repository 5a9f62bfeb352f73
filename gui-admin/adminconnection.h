// One client connection to ferry-server's admin socket (docs/ADMIN.md): JSON Lines over a Unix domain socket.
//
// The connection keeps itself alive: when the server is not running it retries every couple of seconds,
// when the server goes away it reconnects, and after the server's `hello` it subscribes to live status and
// asks for the history. It never shows anything itself; windows read state()/stateText() and the signals.
#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QLocalSocket>
#include <QObject>
#include <QString>

class QTimer;

namespace ferry::admingui {

// The path ferry-server uses when it is given no --admin-socket (ADMIN.md §1).
QString defaultAdminSocketPath();

class AdminConnection : public QObject
{
    Q_OBJECT
public:
    enum class State {
        Idle,             // not started
        Connecting,       // connect() in progress, or connected and waiting for `hello`
        Connected,        // `hello` received: the peer check passed
        NotRunning,       // no socket file, or nobody listening on it; retrying
        PermissionDenied, // the file system or the server's peer check refused us; retrying slowly
        Failed,           // protocol trouble (unreadable line, overloaded server); retrying
    };
    Q_ENUM(State)

    explicit AdminConnection(QObject *parent = nullptr);
    ~AdminConnection() override;

    QString socketPath() const { return m_path; }
    // Switches to another socket; reconnects at once if started.
    void setSocketPath(const QString &path);
    // Retry delay while the server is not running (default 2000 ms); permission trouble waits five times longer.
    void setRetryInterval(int ms) { m_retryMs = ms; }
    int retryInterval() const { return m_retryMs; }
    // Push interval asked for on `subscribe` (default 1000 ms; the server clamps it to 100 … 60000).
    void setSubscribeInterval(int ms);
    int subscribeInterval() const { return m_subscribeMs; }

    // Whether to follow the audit log (audit_subscribe after each `hello`); off by default.
    void setAuditFollowed(bool followed);
    bool isAuditFollowed() const { return m_auditFollowed; }
    // How many recent audit lines audit_subscribe asks for (the server allows 0 … 1000).
    static constexpr int AuditRecentLines = 500;

    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Connected; }
    // One sentence for the window: what is happening and, when it is not working, why and what next.
    QString stateText() const { return m_stateText; }
    // The server's `hello` event of the current connection (empty when not connected).
    QJsonObject hello() const { return m_hello; }

    // Sends `request` (v and id are filled in). Returns the id its reply will carry, or -1 when not connected.
    int sendRequest(QJsonObject request);

public Q_SLOTS:
    void start();
    void stop();

Q_SIGNALS:
    void stateChanged(AdminConnection::State state);
    void helloReceived(const QJsonObject &hello);
    // Every STATUS object, from `status` replies and from subscription pushes.
    void statusReceived(const QJsonObject &status);
    // A `history` reply (interval_ms and samples).
    void historyReceived(const QJsonObject &reply);
    // audit_subscribe's reply: the most recent audit records, oldest first.
    void auditRecentReceived(const QJsonArray &records);
    // One `audit` event: a request that just finished.
    void auditRecordReceived(const QJsonObject &record);
    // audit_subscribe was refused (e.g. the server runs with --audit-log off): the server's sentence.
    void auditUnavailable(const QString &message);
    // Every reply (events excluded), for whoever sent the request with that id.
    void replyReceived(int id, const QJsonObject &reply);

private:
    void connectNow();
    void onConnected();
    void onDisconnected();
    void onErrorOccurred(QLocalSocket::LocalSocketError error);
    void onReadyRead();
    void handleLine(const QByteArray &line);
    void handleEvent(const QJsonObject &event);
    void handleError(const QJsonObject &reply);
    void subscribeToAudit();
    void setState(State state, const QString &text);
    void retryIn(int ms);
    QString permissionText() const;

    QLocalSocket *m_socket;
    QTimer *m_retryTimer;
    QString m_path;
    State m_state = State::Idle;
    QString m_stateText;
    QJsonObject m_hello;
    QByteArray m_input;
    int m_nextId = 1;
    int m_retryMs = 2000;
    int m_subscribeMs = 1000;
    bool m_started = false;
    bool m_auditFollowed = false;
    bool m_aborting = false;
    bool m_refused = false; // the server sent a closing error; keep its explanation when the socket closes
};

} // namespace ferry::admingui
