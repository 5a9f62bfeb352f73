#include "connection.h"

#include "ferry_version.h"

#include "ferryprobe.h"
#include "servertokens.h"
#include "servertrust.h"
#include "tlsguard.h"

#include <QSet>
#include <QSslSocket>
#include <QTcpSocket>

namespace ferry::client {

namespace {

// 16 reads of up to 1 MiB: a few milliseconds of work at loopback speed.
constexpr int MaxReadsPerEvent = 16;
// The wait before retrying a server that turned the connection away before TLS: the plaintext BUSY's own
// hint cannot be read through the TLS stack; the server sends 1000 ms for its per-address limit.
constexpr int TurnedAwayRetryMs = 1000;
const char *const Agent = "ferry-client/" FERRY_VERSION;

// Servers that refused a version 2 HELLO: later connections to them say version 1 at once.
QSet<QString> &version1Servers()
{
    static QSet<QString> servers;
    return servers;
}

QString remoteText(const proto::Error &error)
{
    return QStringLiteral("%1: %2").arg(QLatin1String(proto::errorCodeName(error.code)),
                                        QString::fromStdString(error.message));
}

// What a port that answers in another protocol is told: Ferry's own words ("bad data", "wrong version
// number") would not say that the address is the thing to check.
QString notFerryText(const QString &host, quint16 port)
{
    return QStringLiteral("%1:%2 does not speak Ferry: is it the right port? (Ferry's own is 4646)")
        .arg(host)
        .arg(port);
}

// A wait as a person reads it: "15 s", or "300 ms" below a whole second.
QString waitText(int ms)
{
    return ms % 1000 == 0 ? QStringLiteral("%1 s").arg(ms / 1000) : QStringLiteral("%1 ms").arg(ms);
}

} // namespace

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
    TlsGuard *tls = nullptr;
    if (ServerTrust::instance().isPlaintext()) {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &Connection::onConnected);
    } else {
        auto *socket = new QSslSocket(this);
        tls = new TlsGuard(socket, host, port); // HELLO only once the server's identity is checked
        connect(tls, &TlsGuard::secured, this, &Connection::onConnected);
        connect(tls, &TlsGuard::refused, this,
                [this](const QString &reason) { fail(ErrorKind::ProtocolError, reason); });
        m_socket = socket;
    }
    connect(m_socket, &QTcpSocket::readyRead, this, &Connection::onReadyRead);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &Connection::onSocketError);
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        fail(ErrorKind::ConnectionError, QStringLiteral("connection closed by %1:%2").arg(m_host).arg(m_port));
    });
    m_state = State::Connecting;
    m_stallTimer.start(m_connectTimeoutMs);
    if (tls) {
        // QSslSocket decrypts into its own buffer: bounded, so a slow disk still slows the sender.
        m_socket->setReadBufferSize(4 * ReadBlockSize);
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

bool Connection::isTurnedAwayBeforeTls() const
{
    // A Ferry server refuses a client for load at accept, before it knows what the client speaks, with
    // the plaintext BUSY frame (docs/SECURITY.md, "Refusals for load"). To OpenSSL those bytes in place
    // of a ServerHello are a record of no known version. Only that reason counts: a certificate or pin
    // refusal fails otherwise. (With a TLS backend other than OpenSSL the text differs and such a refusal
    // stays a connection error.)
    auto *tls = qobject_cast<QSslSocket *>(m_socket);
    return tls && !tls->isEncrypted() && tls->error() == QAbstractSocket::SslHandshakeFailedError
           && tls->errorString().contains(QLatin1String("wrong version number"));
}

// The answer to the ClientHello was not TLS: a Ferry server's plaintext BUSY, or another protocol. The
// socket goes (so it reports nothing more) and the state stays Connecting while a plaintext probe asks.
void Connection::askWhetherFerry()
{
    if (QTcpSocket *socket = std::exchange(m_socket, nullptr)) {
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
    m_stallTimer.stop();
    const quint64 generation = m_generation;
    auto *probe = new FerryProbe(m_host, m_port, this);
    connect(probe, &FerryProbe::finished, this, [this, probe, generation](bool speaksFerry) {
        probe->deleteLater();
        if (generation != m_generation)
            return; // aborted meanwhile
        if (!speaksFerry) {
            fail(ErrorKind::ProtocolError, notFerryText(m_host, m_port));
            return;
        }
        fail(ErrorKind::ServerBusy,
             QStringLiteral("server busy: %1:%2 turned the connection away before TLS (busy, draining, or too "
                            "many connections from this address)").arg(m_host).arg(m_port),
             TurnedAwayRetryMs);
    });
    probe->start();
}

// Reads until the socket is drained, but at most a few blocks per call: on a fast link
// the data never runs out, and the event loop must still get to timers (progress,
// other jobs, a GUI's repaints). The socket stays readable, so readyRead comes again.
void Connection::onReadyRead()
{
    const quint64 generation = m_generation;
    for (int round = 0; round < MaxReadsPerEvent; ++round) {
        if (!m_socket || generation != m_generation)
            return;
        const bool progressed = (m_decoder.bodyRemaining() > 0 && m_decoder.buffered() == 0) ? readBody()
                                                                                           : readFrames();
        if (!progressed)
            return;
    }
    // Out of rounds with work possibly left in the decoder, which no socket event
    // would announce: continue in a later turn of the event loop.
    QMetaObject::invokeMethod(
        this,
        [this, generation] {
            if (generation == m_generation)
                onReadyRead();
        },
        Qt::QueuedConnection);
}

// Reads body bytes straight into m_block and hands them to the sink; false when
// there is nothing more to read now, or reading must stop.
bool Connection::readBody()
{
    qint64 want = qint64(std::min<uint64_t>(m_decoder.bodyRemaining(), uint64_t(m_block.size())));
    if (m_bodyPacer) {
        const ReadBudget budget = m_bodyPacer(want);
        if (budget.bytes <= 0) {
            m_paceTimer.start(std::max(1, budget.retryInMs));
            touch(); // waiting on our own limit is not a stalled server
            return false;
        }
        want = std::min(want, budget.bytes);
    }
    char *into = m_block.data();
    if (const std::span<char> buffer = m_bodyBuffer ? m_bodyBuffer(want) : std::span<char>(); !buffer.empty()) {
        into = buffer.data();
        want = std::min(want, qint64(buffer.size()));
    }
    const qint64 got = m_socket->read(into, want);
    if (got < 0) {
        fail(ErrorKind::ConnectionError,
             QStringLiteral("connection to %1:%2 lost during a transfer").arg(m_host).arg(m_port));
        return false;
    }
    if (got == 0)
        return false;
    touch();
    m_decoder.consumeBodyDirect(uint64_t(got));
    return m_bodySink && m_bodySink(into, got);
}

// Decodes what the decoder holds; reads more from the socket when it needs more.
bool Connection::readFrames()
{
    proto::DecodeResult result = m_decoder.next();
    if (std::holds_alternative<proto::NeedMore>(result)) {
        const qint64 got = m_socket->read(m_block.data(), qint64(m_block.size()));
        if (got < 0) {
            fail(ErrorKind::ConnectionError, QStringLiteral("connection closed by %1:%2").arg(m_host).arg(m_port));
            return false;
        }
        if (got == 0)
            return false;
        touch();
        m_helloTimer.stop(); // something answered: whether it is Ferry, the decoder tells
        m_decoder.feed({reinterpret_cast<const uint8_t *>(m_block.data()), size_t(got)});
        return true;
    }
    return dispatch(result);
}

bool Connection::dispatch(proto::DecodeResult &result)
{
    const quint64 generation = m_generation;
    if (auto *chunk = std::get_if<proto::BodyChunk>(&result)) {
        return m_bodySink
               && m_bodySink(reinterpret_cast<const char *>(chunk->bytes.data()), qint64(chunk->bytes.size()));
    }
    if (auto *error = std::get_if<proto::DecodeError>(&result)) {
        if (m_state == State::Handshaking) { // not even a first frame: another protocol on this port
            fail(ErrorKind::ProtocolError, notFerryText(m_host, m_port));
            return false;
        }
        fail(ErrorKind::ProtocolError, QStringLiteral("bad data from %1:%2: %3")
                                           .arg(m_host)
                                           .arg(m_port)
                                           .arg(QLatin1String(proto::decodeErrorName(*error))));
        return false;
    }
    const auto &message = std::get<proto::Message>(result);
    if (const auto *busy = std::get_if<proto::Busy>(&message)) {
        fail(ErrorKind::ServerBusy, QStringLiteral("server busy: %1").arg(QString::fromStdString(busy->message)),
             int(busy->retryAfterMs));
        return false;
    }
    if (m_state == State::Handshaking)
        return handleHandshake(message);
    emit messageReceived(message);
    return generation == m_generation;
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

void Connection::fail(ErrorKind kind, const QString &reason, int retryAfterMs)
{
    if (m_state == State::Closed)
        return;
    abort();
    emit failed(kind, reason, retryAfterMs);
}

} // namespace ferry::client
