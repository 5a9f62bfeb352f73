// What the test relays (CorruptingRelay, NoDigestRelay) share: a listener on 127.0.0.1, one connection to
// the real server per client, and each side's close passed on once what it sent was relayed. What a relay
// does to the bytes are the hooks it gives each new connection.
//
// It runs on the event loop of the thread that owns it (a QTest function waiting with QTRY_* or
// QSignalSpy keeps it going).
#pragma once

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>

class QTcpServer;
class QTcpSocket;

namespace ferrytest {

class LoopbackRelay
{
public:
    struct Hooks {
        // The client's bytes are waiting: pass on (to `upstream`) what goes through; false drops both sides.
        std::function<bool(QTcpSocket &client, QTcpSocket &upstream)> fromClient;
        // The server's bytes, before they are written to the client; null passes them as they are.
        std::function<void(QByteArray &bytes)> toClient;
    };
    // `hooksFor` is called once per accepted connection that reached the server.
    LoopbackRelay(QString upstreamHost, quint16 upstreamPort, std::function<Hooks()> hooksFor);
    ~LoopbackRelay();
    LoopbackRelay(const LoopbackRelay &) = delete;
    LoopbackRelay &operator=(const LoopbackRelay &) = delete;

    // Listens on 127.0.0.1 at an ephemeral port.
    bool listen();
    QString host() const { return QStringLiteral("127.0.0.1"); }
    quint16 port() const;

private:
    void relay();

    QString m_upstreamHost;
    quint16 m_upstreamPort;
    std::function<Hooks()> m_hooksFor;
    std::unique_ptr<QTcpServer> m_server;
};

} // namespace ferrytest
