// Connection's life: opening (plaintext here, TLS in connectiontls.cpp), sending, the connect and stall
// timers, and failing. Reading is connectionframes.cpp's, the handshake connectionhandshake.cpp's.
#include "connection.h"

#include "connection_p.h"
#include "ferry_version.h"

#include "ferryprobe.h"
#include "knownservers.h"
#include "servertrust.h"
#include "tlsguard.h"

#include <QSslSocket>
#include <QTcpSocket>

namespace ferry::client {

namespace {

const char *const Agent = "ferry-client/" FERRY_VERSION;

// A wait as a person reads it: "15 s", or "300 ms" below a whole second.
QString waitText(int ms)
{
    return ms % 1000 == 0 ? QStringLiteral("%1 s").arg(ms / 1000) : QStringLiteral("%1 ms").arg(ms);
}

} // namespace

QString notFerryText(const QString &host, quint16 port)
{
    return QStringLiteral("%1:%2 does not speak Ferry: is it the right port? (Ferry's own is 4646)")
        .arg(host)
        .arg(port);
}

Connection::Connection(QObject *parent) : QObject(parent)
{
    m_paceTimer.setSingleShot(true);
    connect(&m_paceTimer, &QTimer::timeout, this, &Connection::onReadyRead);
    m_helloTimer.setSingleShot(true);
    connect(&m_helloTimer, &QTimer::timeout, this,
            [this] { fail(ErrorKind::ProtocolError, notFerryText(m_host, m_port)); });
    m_stallTimer.setSingleShot(true);
    connect(&m_stallTimer, &QTimer::timeout, this, &Connection::onStalled);
}

// The message names the wait the timer ran, which is the connect timeout until the connection (over TLS,
// its handshake) is made: it used to say the stall timeout's 30 s where 15 s had passed.
void Connection::onStalled()
{
    const QString waited = waitText(m_stallTimer.interval());
    if (m_state != State::Connecting) {
        fail(ErrorKind::ConnectionError,
             QStringLiteral("no data from %1:%2 for %3").arg(m_host).arg(m_port).arg(waited));
        return;
    }
    const bool accepted = m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
    const QString what = accepted ? QStringLiteral("accepted the connection but did not complete the TLS handshake")
                                  : QStringLiteral("did not accept the connection");
    fail(ErrorKind::ConnectionError, QStringLiteral("%1:%2 %3 within %4").arg(m_host).arg(m_port).arg(what, waited));
}

Connection::~Connection()
{
    abort();
}

void Connection::open(const QString &host, quint16 port)
{
    abort();
    m_host = host;
    m_port = port;
    m_capabilities.clear();
    m_grant = {};
    m_authPending = false;
    m_helloVersion = version1Servers().contains(KnownServers::serverKey(host, port)) ? proto::ProtocolVersion
                                                                                     : proto::HighestVersion;
    m_decoder = proto::Decoder();
    m_block.resize(ReadBlockSize);
    TlsGuard *tls = ServerTrust::instance().isPlaintext() ? nullptr : openTlsSocket();
    if (!tls) {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &Connection::onConnected);
    }
    connect(m_socket, &QTcpSocket::readyRead, this, &Connection::onReadyRead);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &Connection::onSocketError);
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        fail(ErrorKind::ConnectionError, QStringLiteral("connection closed by %1:%2").arg(m_host).arg(m_port));
    });
    m_state = State::Connecting;
    m_stallTimer.start(m_connectTimeoutMs);
    if (tls) {
        tls->connectToServer();
        return;
    }
    ServerTrust::instance().noteSecurity(KnownServers::serverKey(host, port),
                                         QStringLiteral("plaintext (not encrypted)"));
    // Unbuffered: read() goes straight to the kernel socket, so body bytes are copied
    // once (kernel -> our block) instead of twice, and Qt holds no read buffer at all:
    // when the disk is slow we stop reading and TCP flow control slows the sender.
    m_socket->connectToHost(host, port, QIODevice::ReadWrite | QIODevice::Unbuffered);
}

void Connection::send(const proto::Message &message)
{
    if (!m_socket)
        return;
    const std::vector<uint8_t> bytes = proto::encode(message);
    m_socket->write(reinterpret_cast<const char *>(bytes.data()), qint64(bytes.size()));
}

void Connection::abort()
{
    ++m_generation;
    m_stallTimer.stop();
    m_helloTimer.stop();
    m_paceTimer.stop();
    m_waitingForResume = false;
    m_state = State::Closed;
    m_expectingReply = false;
    if (QTcpSocket *socket = std::exchange(m_socket, nullptr)) {
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
}

void Connection::setExpectingReply(bool expecting)
{
    m_expectingReply = expecting;
    if (expecting)
        touch();
    else if (m_state == State::Ready)
        m_stallTimer.stop();
}

void Connection::touch()
{
    if (m_expectingReply || m_state == State::Connecting || m_state == State::Handshaking)
        m_stallTimer.start(m_stallTimeoutMs);
}

void Connection::onConnected()
{
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_state = State::Handshaking;
    send(proto::Hello{m_helloVersion, Agent});
    touch();
    if (!qobject_cast<QSslSocket *>(m_socket))
        m_helloTimer.start(FerryProbe::TimeoutMs);
}

void Connection::onSocketError()
{
    if (!m_socket)
        return;
    if (isTurnedAwayBeforeTls()) {
        askWhetherFerry();
        return;
    }
    fail(ErrorKind::ConnectionError,
         QStringLiteral("%1:%2: %3").arg(m_host).arg(m_port).arg(m_socket->errorString()));
}

void Connection::fail(ErrorKind kind, const QString &reason, int retryAfterMs)
{
    if (m_state == State::Closed)
        return;
    abort();
    emit failed(kind, reason, retryAfterMs);
}

} // namespace ferry::client
