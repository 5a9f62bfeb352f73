#include "loopbackrelay.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

namespace ferrytest {

LoopbackRelay::LoopbackRelay(QString upstreamHost, quint16 upstreamPort, std::function<Hooks()> hooksFor)
    : m_upstreamHost(std::move(upstreamHost)), m_upstreamPort(upstreamPort), m_hooksFor(std::move(hooksFor)),
      m_server(std::make_unique<QTcpServer>())
{
    QObject::connect(m_server.get(), &QTcpServer::newConnection, m_server.get(), [this] {
        while (m_server->hasPendingConnections())
            relay();
    });
}

LoopbackRelay::~LoopbackRelay() = default;

bool LoopbackRelay::listen()
{
    return m_server->listen(QHostAddress::LocalHost, 0);
}

quint16 LoopbackRelay::port() const
{
    return m_server->serverPort();
}

void LoopbackRelay::relay()
{
    QTcpSocket *client = m_server->nextPendingConnection(); // owned by m_server
    auto *upstream = new QTcpSocket(client);
    upstream->connectToHost(m_upstreamHost, m_upstreamPort);
    if (!upstream->waitForConnected(5000)) { // loopback: at once, or the server is gone
        client->abort();
        client->deleteLater();
        return;
    }
    const Hooks hooks = m_hooksFor();
    auto fromClient = [client, upstream, hooks] {
        if (!hooks.fromClient(*client, *upstream)) {
            upstream->abort();
            client->abort();
        }
    };
    auto toClient = [client, upstream, hooks] {
        QByteArray bytes = upstream->readAll();
        if (hooks.toClient)
            hooks.toClient(bytes);
        client->write(bytes);
    };
    QObject::connect(client, &QTcpSocket::readyRead, client, fromClient);
    QObject::connect(upstream, &QTcpSocket::readyRead, client, toClient);
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
