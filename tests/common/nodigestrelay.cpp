#include "nodigestrelay.h"

#include "protocol/codec.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

#include <variant>

namespace ferrytest {

namespace {

namespace proto = ferry::proto;

QByteArray frameOf(const proto::Message &message)
{
    const std::vector<uint8_t> bytes = proto::encode(message);
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

// Passes the client's frames on, answering DIGEST itself. False when the client's bytes do not
// decode: the relay then drops both sides, as the server would close on bad input.
bool forwardRequests(proto::Decoder &decoder, QTcpSocket *client, QTcpSocket *upstream, int &refused)
{
    const QByteArray bytes = client->readAll();
    decoder.feed({reinterpret_cast<const uint8_t *>(bytes.constData()), size_t(bytes.size())});
    for (;;) {
        proto::DecodeResult result = decoder.next();
        if (std::holds_alternative<proto::NeedMore>(result))
            return true;
        if (std::holds_alternative<proto::DecodeError>(result))
            return false;
        if (const auto *message = std::get_if<proto::Message>(&result)) {
            if (std::holds_alternative<proto::DigestRequest>(*message)) {
                ++refused;
                client->write(frameOf(proto::Error{proto::ErrorCode::Unsupported, "this server computes no digests"}));
            } else {
                upstream->write(frameOf(*message));
            }
        }
    }
}

} // namespace

NoDigestRelay::NoDigestRelay(QString upstreamHost, quint16 upstreamPort)
    : m_upstreamHost(std::move(upstreamHost)), m_upstreamPort(upstreamPort), m_server(std::make_unique<QTcpServer>())
{
    QObject::connect(m_server.get(), &QTcpServer::newConnection, m_server.get(), [this] {
        while (m_server->hasPendingConnections())
            relay();
    });
}

NoDigestRelay::~NoDigestRelay() = default;

bool NoDigestRelay::listen()
{
    return m_server->listen(QHostAddress::LocalHost, 0);
}

quint16 NoDigestRelay::port() const
{
    return m_server->serverPort();
}

void NoDigestRelay::relay()
{
    QTcpSocket *client = m_server->nextPendingConnection(); // owned by m_server
    auto *upstream = new QTcpSocket(client);
    upstream->connectToHost(m_upstreamHost, m_upstreamPort);
    if (!upstream->waitForConnected(5000)) { // loopback: at once, or the server is gone
        client->abort();
        client->deleteLater();
        return;
    }
    auto decoder = std::make_shared<proto::Decoder>();
    std::shared_ptr<int> refused = m_refused;
    auto fromClient = [client, upstream, decoder, refused] {
        if (!forwardRequests(*decoder, client, upstream, *refused)) {
            upstream->abort();
            client->abort();
        }
    };
    QObject::connect(client, &QTcpSocket::readyRead, client, fromClient);
    QObject::connect(upstream, &QTcpSocket::readyRead, client,
                     [client, upstream] { client->write(upstream->readAll()); });
    // Either side's close is passed on once what it sent was relayed.
    QObject::connect(upstream, &QTcpSocket::disconnected, client, [client, upstream] {
        if (client->state() != QAbstractSocket::ConnectedState)
            return; // the client went first
        client->write(upstream->readAll());
        client->disconnectFromHost();
    });
    QObject::connect(client, &QTcpSocket::disconnected, client, [client, upstream] {
        upstream->disconnectFromHost();
        client->deleteLater();
    });
    fromClient(); // bytes that arrived with the connection
}

} // namespace ferrytest
