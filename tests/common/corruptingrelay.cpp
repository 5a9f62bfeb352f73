#include "corruptingrelay.h"

#include "protocol/codec.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

namespace ferrytest {

namespace {

namespace proto = ferry::proto;

// Whether `bytes` (a connection's first bytes) start with a HELLO naming version 2.
bool isVersion2Hello(const QByteArray &bytes)
{
    proto::Decoder decoder;
    decoder.feed({reinterpret_cast<const uint8_t *>(bytes.constData()), size_t(bytes.size())});
    proto::DecodeResult result = decoder.next();
    const auto *message = std::get_if<proto::Message>(&result);
    const auto *hello = message ? std::get_if<proto::Hello>(message) : nullptr;
    return hello && hello->version >= 2;
}

QByteArray frameOf(const proto::Message &message)
{
    const std::vector<uint8_t> bytes = proto::encode(message);
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

} // namespace

CorruptingRelay::CorruptingRelay(QString upstreamHost, quint16 upstreamPort)
    : m_upstreamHost(std::move(upstreamHost)), m_upstreamPort(upstreamPort), m_server(std::make_unique<QTcpServer>())
{
    QObject::connect(m_server.get(), &QTcpServer::newConnection, m_server.get(), [this] {
        while (m_server->hasPendingConnections())
            relay();
    });
}

CorruptingRelay::~CorruptingRelay() = default;

void CorruptingRelay::flipByteAt(qint64 offset, int connections)
{
    m_state->offset = offset;
    m_state->flipsLeft = connections;
}

bool CorruptingRelay::listen()
{
    return m_server->listen(QHostAddress::LocalHost, 0);
}

quint16 CorruptingRelay::port() const
{
    return m_server->serverPort();
}

void CorruptingRelay::relay()
{
    QTcpSocket *client = m_server->nextPendingConnection(); // owned by m_server
    auto *upstream = new QTcpSocket(client);
    upstream->connectToHost(m_upstreamHost, m_upstreamPort);
    if (!upstream->waitForConnected(5000)) { // loopback: at once, or the server is gone
        client->abort();
        client->deleteLater();
        return;
    }
    ++m_state->connections;
    auto passed = std::make_shared<qint64>(0); // this connection's server → client bytes so far
    std::shared_ptr<State> state = m_state;
    auto toClient = [client, upstream, passed, state] {
        QByteArray bytes = upstream->readAll();
        const qint64 at = state->offset - *passed;
        if (state->flipsLeft > 0 && at >= 0 && at < bytes.size()) {
            bytes[at] = char(~bytes[at]);
            --state->flipsLeft;
            ++state->flips;
        }
        *passed += bytes.size();
        state->bytesToClients += bytes.size();
        client->write(bytes);
    };
    auto first = std::make_shared<bool>(true);
    auto fromClient = [client, upstream, first, state] {
        const QByteArray bytes = client->readAll();
        if (std::exchange(*first, false) && state->refuseVersion2 && isVersion2Hello(bytes)) {
            ++state->version2Refused;
            client->write(frameOf(proto::Error{proto::ErrorCode::UnsupportedVersion, "this server speaks version 1"}));
            client->disconnectFromHost();
            upstream->abort();
            return;
        }
        upstream->write(bytes);
    };
    QObject::connect(client, &QTcpSocket::readyRead, client, fromClient);
    QObject::connect(upstream, &QTcpSocket::readyRead, client, toClient);
    // Either side's close is passed on once what it sent was relayed.
    QObject::connect(upstream, &QTcpSocket::disconnected, client, [client, toClient] {
        if (client->state() != QAbstractSocket::ConnectedState)
            return; // the client went first
        toClient();
        client->disconnectFromHost();
    });
    QObject::connect(client, &QTcpSocket::disconnected, client, [client, upstream] {
        upstream->disconnectFromHost();
        client->deleteLater();
    });
    if (client->bytesAvailable() > 0)
        fromClient(); // bytes that arrived with the connection
}

} // namespace ferrytest
