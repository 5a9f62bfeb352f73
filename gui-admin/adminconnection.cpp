#include "adminconnection.h"

#include "adminproto/error_codes.h"
#include "adminproto/socket_path.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QTimer>

#include <unistd.h>

namespace ferry::admingui {

namespace {

// A STATUS line with hundreds of workers is a few hundred KiB; anything far beyond that is not the server.
constexpr qsizetype MaxLineBytes = 16 * 1024 * 1024;
// After losing a live connection, try again almost at once: a restarting server is usually back quickly.
constexpr int QuickRetryMs = 250;
constexpr int DeniedRetryFactor = 5;

QString userDescription(uint uid)
{
    return uid == 0 ? QStringLiteral("root") : QStringLiteral("uid %1").arg(uid);
}

// The errors after which the server closes the connection (ADMIN.md §3.4); they carry no id.
bool isClosingError(const QJsonObject &reply)
{
    if (reply.value(QLatin1String("ok")).toBool() || reply.contains(QLatin1String("id")))
        return false;
    const QString name = reply.value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString();
    const auto code = admin::errorCodeFromName(name.toStdString());
    return code && admin::closesConnection(*code);
}

} // namespace

QString defaultAdminSocketPath()
{
    return QString::fromStdString(admin::defaultAdminSocketPath());
}

AdminConnection::AdminConnection(QObject *parent)
    : QObject(parent), m_socket(new QLocalSocket(this)), m_retryTimer(new QTimer(this)),
      m_path(defaultAdminSocketPath())
{
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, &AdminConnection::connectNow);
    connect(m_socket, &QLocalSocket::connected, this, &AdminConnection::onConnected);
    connect(m_socket, &QLocalSocket::disconnected, this, &AdminConnection::onDisconnected);
    connect(m_socket, &QLocalSocket::errorOccurred, this, &AdminConnection::onErrorOccurred);
    connect(m_socket, &QLocalSocket::readyRead, this, &AdminConnection::onReadyRead);
}

AdminConnection::~AdminConnection()
{
    // No signals into half-destroyed owners while the socket goes away.
    m_socket->disconnect(this);
    m_socket->abort();
}

void AdminConnection::setSocketPath(const QString &path)
{
    // QLocalSocket resolves a relative name under the temp dir; the admin socket is always a file path.
    const QString absolute = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    if (absolute == m_path)
        return;
    m_path = absolute;
    if (m_started)
        connectNow();
}

void AdminConnection::setSubscribeInterval(int ms)
{
    m_subscribeMs = ms;
    if (isConnected())
        sendRequest({{QStringLiteral("cmd"), QStringLiteral("subscribe")}, {QStringLiteral("interval_ms"), ms}});
}

void AdminConnection::start()
{
    m_started = true;
    connectNow();
}

void AdminConnection::stop()
{
    m_started = false;
    m_retryTimer->stop();
    m_socket->abort();
    m_hello = {};
    setState(State::Idle, tr("Not connected."));
}

int AdminConnection::sendRequest(QJsonObject request)
{
    if (m_socket->state() != QLocalSocket::ConnectedState || !isConnected())
        return -1;
    const int id = m_nextId++;
    request.insert(QStringLiteral("v"), 1);
    request.insert(QStringLiteral("id"), id);
    m_socket->write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    return id;
}

void AdminConnection::setAuditFollowed(bool followed)
{
    if (followed == m_auditFollowed)
        return;
    m_auditFollowed = followed;
    if (isConnected())
        followed ? subscribeToAudit()
                 : void(sendRequest({{QStringLiteral("cmd"), QStringLiteral("audit_unsubscribe")}}));
}

void AdminConnection::subscribeToAudit()
{
    sendRequest(
        {{QStringLiteral("cmd"), QStringLiteral("audit_subscribe")}, {QStringLiteral("lines"), AuditRecentLines}});
}

void AdminConnection::connectNow()
{
    m_aborting = true; // dropping a live connection here must not schedule a reconnect of its own
    m_socket->abort();
    m_aborting = false;
    m_retryTimer->stop();
    m_input.clear();
    m_hello = {};
    m_refused = false;
    setState(State::Connecting, tr("Connecting to %1 …").arg(m_path));
    m_socket->connectToServer(m_path);
}

void AdminConnection::onConnected()
{
    // Connected at the socket level; the server's peer check answers with `hello` or `permission_denied`.
    setState(State::Connecting, tr("Connected to %1, waiting for the server's greeting …").arg(m_path));
}

void AdminConnection::onDisconnected()
{
    m_hello = {};
    if (!m_started || m_aborting)
        return;
    if (m_refused) {
        retryIn(m_state == State::PermissionDenied ? m_retryMs * DeniedRetryFactor : m_retryMs);
        return;
    }
    setState(State::Connecting, tr("The server closed the connection; reconnecting to %1 …").arg(m_path));
    retryIn(QuickRetryMs);
}

void AdminConnection::onErrorOccurred(QLocalSocket::LocalSocketError error)
{
    if (!m_started || error == QLocalSocket::PeerClosedError)
        return; // onDisconnected() handles a close
    const double seconds = m_retryMs / 1000.0;
    switch (error) {
    case QLocalSocket::ServerNotFoundError:
        setState(State::NotRunning, tr("Server not running: no admin socket at %1. Retrying every %2 s.")
                                        .arg(m_path).arg(seconds));
        break;
    case QLocalSocket::ConnectionRefusedError:
        // A folder or a file answers as a socket nobody listens on: a mistyped path, not a stale socket.
        if (const QFileInfo info(m_path); info.exists() && (info.isDir() || info.isFile())) {
            setState(State::NotRunning, tr("%1 is a %2, not an admin socket: check the path (ferry-server logs "
                                           "its socket at start). Retrying every %3 s.")
                                            .arg(m_path, info.isDir() ? tr("folder") : tr("file")).arg(seconds));
            break;
        }
        setState(State::NotRunning, tr("Server not running: nobody is listening on %1 (a stale socket?). "
                                       "Retrying every %2 s.").arg(m_path).arg(seconds));
        break;
    case QLocalSocket::SocketAccessError:
        setState(State::PermissionDenied, permissionText());
        retryIn(m_retryMs * DeniedRetryFactor);
        return;
    default:
        setState(State::Failed, tr("Cannot talk to %1: %2. Retrying every %3 s.")
                                    .arg(m_path, m_socket->errorString()).arg(seconds));
        break;
    }
    retryIn(m_retryMs);
}

void AdminConnection::onReadyRead()
{
    m_input += m_socket->readAll();
    qsizetype start = 0;
    for (qsizetype end = m_input.indexOf('\n'); end >= 0; end = m_input.indexOf('\n', start)) {
        QByteArray line = m_input.mid(start, end - start);
        start = end + 1;
        if (line.endsWith('\r'))
            line.chop(1);
        if (!line.isEmpty())
            handleLine(line);
        if (m_socket->state() != QLocalSocket::ConnectedState)
            return; // handleLine() gave up on this connection
    }
    m_input.remove(0, start);
    if (m_input.size() > MaxLineBytes) {
        m_refused = true;
        setState(State::Failed, tr("%1 sent a line longer than %2 bytes; this is not a Ferry admin socket?")
                                    .arg(m_path).arg(MaxLineBytes));
        m_socket->abort();
    }
}

void AdminConnection::handleLine(const QByteArray &line)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(line, &error);
    if (!document.isObject()) {
        m_refused = true;
        setState(State::Failed, tr("Unreadable line from %1 (%2); reconnecting.").arg(m_path, error.errorString()));
        m_socket->abort();
        return;
    }
    const QJsonObject object = document.object();
    if (object.contains(QLatin1String("event"))) {
        handleEvent(object);
        return;
    }
    if (isClosingError(object)) {
        handleError(object);
        return;
    }
    const QString cmd = object.value(QLatin1String("cmd")).toString();
    if (object.value(QLatin1String("ok")).toBool()) {
        if (cmd == QLatin1String("status"))
            Q_EMIT statusReceived(object.value(QLatin1String("status")).toObject());
        else if (cmd == QLatin1String("history"))
            Q_EMIT historyReceived(object);
        else if (cmd == QLatin1String("audit_subscribe"))
            Q_EMIT auditRecentReceived(object.value(QLatin1String("recent")).toArray());
    } else if (cmd == QLatin1String("audit_subscribe")) {
        const QJsonObject error = object.value(QLatin1String("error")).toObject();
        Q_EMIT auditUnavailable(error.value(QLatin1String("message")).toString());
    }
    Q_EMIT replyReceived(object.value(QLatin1String("id")).toInt(-1), object);
}

void AdminConnection::handleEvent(const QJsonObject &event)
{
    const QString name = event.value(QLatin1String("event")).toString();
    if (name == QLatin1String("hello")) {
        m_hello = event;
        setState(State::Connected, tr("Connected to %1 %2 (pid %3) on %4.")
                                       .arg(event.value(QLatin1String("server")).toString(QStringLiteral("server")),
                                            event.value(QLatin1String("version")).toString())
                                       .arg(event.value(QLatin1String("pid")).toInteger())
                                       .arg(m_path));
        Q_EMIT helloReceived(event);
        sendRequest({{QStringLiteral("cmd"), QStringLiteral("history")}});
        sendRequest(
            {{QStringLiteral("cmd"), QStringLiteral("subscribe")}, {QStringLiteral("interval_ms"), m_subscribeMs}});
        if (m_auditFollowed)
            subscribeToAudit();
    } else if (name == QLatin1String("status")) {
        Q_EMIT statusReceived(event.value(QLatin1String("status")).toObject());
    } else if (name == QLatin1String("audit")) {
        Q_EMIT auditRecordReceived(event.value(QLatin1String("record")).toObject());
    }
    // Other events may come in later revisions of version 1: ignored, as the contract asks.
}

void AdminConnection::handleError(const QJsonObject &reply)
{
    const QJsonObject error = reply.value(QLatin1String("error")).toObject();
    const QString code = error.value(QLatin1String("code")).toString();
    const QString message = error.value(QLatin1String("message")).toString();
    m_refused = true;
    if (code == QLatin1String("permission_denied"))
        setState(State::PermissionDenied, permissionText());
    else if (code == QLatin1String("overloaded"))
        setState(State::Failed, tr("The server has too many admin clients (%1). Retrying every %2 s.")
                                    .arg(message).arg(m_retryMs / 1000.0));
    else
        setState(State::Failed, tr("The server closed the conversation: %1 (%2). Reconnecting.").arg(message, code));
    m_socket->abort(); // the server closes after these; not waiting for it keeps a confused peer from holding us
}

QString AdminConnection::permissionText() const
{
    const QFileInfo socket(m_path);
    const QFileInfo directory(socket.absolutePath());
    const uint owner = socket.exists() ? socket.ownerId() : directory.ownerId();
    QString text = tr("Permission denied on %1. Only the server's own user (%2), root, or members of the "
                      "group given to ferry-server --admin-group may connect; Ferry Admin runs as %3.")
                       .arg(m_path, userDescription(owner), userDescription(::geteuid()));
    return text + QLatin1Char(' ') + tr("Retrying every %1 s.").arg(m_retryMs * DeniedRetryFactor / 1000.0);
}

void AdminConnection::setState(State state, const QString &text)
{
    if (state == m_state && text == m_stateText)
        return;
    m_state = state;
    m_stateText = text;
    Q_EMIT stateChanged(state);
}

void AdminConnection::retryIn(int ms)
{
    if (m_started)
        m_retryTimer->start(ms);
}

} // namespace ferry::admingui
