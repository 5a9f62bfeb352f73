// Connection over TLS: the guarded socket, and telling a Ferry server's refusal before TLS (its plaintext
// BUSY) from a port that speaks another protocol.
#include "connection.h"

#include "connection_p.h"
#include "ferryprobe.h"
#include "tlsguard.h"

#include <QSslSocket>

namespace ferry::client {

namespace {

// The wait before retrying a server that turned the connection away before TLS: the plaintext BUSY's own
// hint cannot be read through the TLS stack; the server sends 1000 ms for its per-address limit.
constexpr int TurnedAwayRetryMs = 1000;

} // namespace

// A QSslSocket as m_socket, guarded by a TlsGuard that checks the server's identity (servertrust.h)
// before the handshake may end: HELLO goes out only on its secured(). Connecting is open()'s.
TlsGuard *Connection::openTlsSocket()
{
    auto *socket = new QSslSocket(this);
    auto *tls = new TlsGuard(socket, m_host, m_port);
    connect(tls, &TlsGuard::secured, this, &Connection::onConnected);
    connect(tls, &TlsGuard::refused, this, [this](const QString &reason, bool changed) {
        fail(changed ? ErrorKind::IdentityChanged : ErrorKind::ProtocolError, reason);
    });
    // QSslSocket decrypts into its own buffer: bounded, so a slow disk still slows the sender.
    socket->setReadBufferSize(4 * ReadBlockSize);
    m_socket = socket;
    return tls;
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

} // namespace ferry::client
