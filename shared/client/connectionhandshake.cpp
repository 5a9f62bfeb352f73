// Connection's handshake: WELCOME and its capabilities, AUTH with the server's token, and the fall back
// to version 1 for a server that refuses a version 2 HELLO.
#include "connection.h"

#include "connection_p.h"
#include "knownservers.h"
#include "servertokens.h"

#include <QMetaObject>

namespace ferry::client {

namespace {

QString remoteText(const proto::Error &error)
{
    return QStringLiteral("%1: %2").arg(QLatin1String(proto::errorCodeName(error.code)),
                                        QString::fromStdString(error.message));
}

} // namespace

QSet<QString> &version1Servers()
{
    static QSet<QString> servers;
    return servers;
}

bool Connection::handleHandshake(const proto::Message &message)
{
    const quint64 generation = m_generation;
    if (const auto *welcome = std::get_if<proto::Welcome>(&message)) {
        m_serverAgent = QString::fromStdString(welcome->agent);
        m_capabilities = welcome->version >= proto::ProtocolVersion2 ? welcome->capabilities
                                                                     : std::vector<proto::Capability>{};
        const QString token = ServerTokens::instance().tokenFor(m_host, m_port);
        if (token.isEmpty() || welcome->version < proto::ProtocolVersion2)
            return becomeReady(); // a version 1 server has no tokens: what is anonymous is all it serves
        m_authPending = true;
        send(proto::AuthRequest{token.toStdString()});
        touch();
        return generation == m_generation;
    }
    if (m_authPending)
        return handleAuthAnswer(message);
    if (const auto *error = std::get_if<proto::Error>(&message)) {
        if (error->code == proto::ErrorCode::UnsupportedVersion && fallBackToVersion1())
            return false;
        fail(ErrorKind::ProtocolError, QStringLiteral("handshake refused: %1").arg(remoteText(*error)));
        return false;
    }
    fail(ErrorKind::ProtocolError, QStringLiteral("unexpected answer to HELLO from %1:%2").arg(m_host).arg(m_port));
    return false;
}

bool Connection::becomeReady()
{
    const quint64 generation = m_generation;
    m_state = State::Ready;
    if (!m_expectingReply)
        m_stallTimer.stop();
    emit ready();
    return generation == m_generation;
}

bool Connection::handleAuthAnswer(const proto::Message &message)
{
    m_authPending = false;
    if (const auto *reply = std::get_if<proto::AuthReply>(&message)) {
        m_grant = *reply;
        return becomeReady();
    }
    if (const auto *error = std::get_if<proto::Error>(&message)) {
        const QString why = error->code == proto::ErrorCode::TokenExpired
                                ? QStringLiteral("the access token for %1:%2 has expired").arg(m_host).arg(m_port)
                                : QStringLiteral("%1:%2 did not accept the access token (%3)")
                                      .arg(m_host)
                                      .arg(m_port)
                                      .arg(remoteText(*error));
        fail(ErrorKind::AccessDenied, why);
        return false;
    }
    fail(ErrorKind::ProtocolError, QStringLiteral("unexpected answer to AUTH from %1:%2").arg(m_host).arg(m_port));
    return false;
}

QString Connection::capability(std::string_view name) const
{
    for (const proto::Capability &offered : m_capabilities) {
        if (offered.name == name)
            return QString::fromStdString(offered.value);
    }
    return {};
}

// A server from before version 2 refuses its HELLO and closes: the same connection
// cannot go on, so a new one says version 1 (and so does every later one to that server).
bool Connection::fallBackToVersion1()
{
    if (m_helloVersion == proto::ProtocolVersion)
        return false;
    version1Servers().insert(KnownServers::serverKey(m_host, m_port));
    const QString host = m_host;
    const quint16 port = m_port;
    abort();
    const quint64 generation = m_generation; // the owner's own abort() cancels the reopening
    QMetaObject::invokeMethod(
        this,
        [this, host, port, generation] {
            if (generation == m_generation)
                open(host, port);
        },
        Qt::QueuedConnection);
    return true;
}

} // namespace ferry::client
