// ferry-server behind a load balancer: --proxy-protocol with --trusted-proxies. Real binary, real sockets;
// the test plays the balancer, sending PROXY v1 and v2 headers from the trusted 127.0.0.1 and 127.0.0.2,
// and plays direct clients from other 127.0.0.x addresses (each client socket is bound to its address).
#include "adminrequest.h"
#include "polling.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <arpa/inet.h>

using namespace ferrytest;

namespace {

constexpr quint16 ServerPort = 4646; // what the headers name as the destination; the server ignores it

QByteArray v1Header(const QString &client, quint16 port)
{
    return QStringLiteral("PROXY TCP4 %1 127.0.0.1 %2 %3\r\n").arg(client).arg(port).arg(ServerPort).toLatin1();
}

QByteArray v2Header(const QString &client, quint16 port, bool local = false)
{
    QByteArray header = QByteArray::fromHex("0d0a0d0a000d0a515549540a");
    header.append(char(local ? 0x20 : 0x21));
    header.append(char(local ? 0x00 : 0x11));
    header.append('\0');
    header.append(char(local ? 0 : 12));
    if (local)
        return header;
    in_addr source{}, destination{};
    inet_pton(AF_INET, client.toLatin1().constData(), &source);
    inet_pton(AF_INET, "127.0.0.1", &destination);
    header.append(reinterpret_cast<const char *>(&source), 4);
    header.append(reinterpret_cast<const char *>(&destination), 4);
    header.append(char(port >> 8)).append(char(port & 0xFF));
    header.append(char(ServerPort >> 8)).append(char(ServerPort & 0xFF));
    return header;
}

// The peers the scoreboard shows right now (workers serving a request), sorted.
QStringList scoreboardPeers(const ServerProcess &server)
{
    QStringList peers;
    const QJsonArray workers = adminStatus(server.adminSocketPath()).value("workers").toArray();
    for (const QJsonValue &worker : workers)
        if (const QString peer = worker.toObject().value("peer").toString(); !peer.isEmpty())
            peers << peer;
    peers.sort();
    return peers;
}

// Connects from `source`, sends `prefix` (a header, or nothing) and then HELLO.
Status openVia(TestClient &client, const ServerProcess &server, const QString &source, const QByteArray &prefix)
{
    client.setSourceAddress(source);
    if (Status connected = client.connectTo(server.host(), server.port()); !connected.ok())
        return connected;
    if (!prefix.isEmpty() && !client.sendRaw(prefix))
        return Status::of(Outcome::Failed, "sending the PROXY header failed");
    return client.hello();
}

} // namespace

class TestServerProxy : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void headerNamesTheClientEverywhere_data();
    void headerNamesTheClientEverywhere();
    void fragmentedHeaderIsWaitedFor();
    void localHeaderFromTrustedProxyIsServed();
    void perAddressLimitCountsTheRealClient();
    void untrustedHeaderIsRefusedAndLogged();
    void directClientIsServedAndLoggedAsItself();
    void trustedProxyWithoutHeaderIsRefused();
    void malformedHeaderIsRefusedWithItsReason();
    void partialHeaderIsRefusedAtTheDeadline();
    void proxyProtocolNeedsTrustedProxies();

private:
    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
    QByteArray m_small;
};

void TestServerProxy::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
}

void TestServerProxy::init()
{
    m_tree = std::make_unique<TestTree>();
    QVERIFY(!m_tree->addFile(QStringLiteral("small.bin"), 1000, 3).isEmpty());
    QVERIFY(!m_tree->addFile(QStringLiteral("big.bin"), 32 << 20, 4).isEmpty());
    QFile small(m_tree->path(QStringLiteral("small.bin")));
    QVERIFY(small.open(QIODevice::ReadOnly));
    m_small = small.readAll();
    m_server = std::make_unique<ServerProcess>(
        m_tree->root(), QStringList{"--workers", "4", "--proxy-protocol", "--trusted-proxies", "127.0.0.1,127.0.0.2/32",
                                    "--max-per-ip", "2", "--request-timeout", "2s", "--log-level", "debug"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestServerProxy::cleanup()
{
    m_server.reset();
    m_tree.reset();
}

void TestServerProxy::headerNamesTheClientEverywhere_data()
{
    QTest::addColumn<int>("version");
    QTest::newRow("v1") << 1;
    QTest::newRow("v2") << 2;
}

// Three clients behind the two balancers, each named by its header: each is served, the scoreboard (and
// so ferry-ctl status and Ferry Admin) shows the client's address while its GET runs, not the balancer's,
// and so does the log.
void TestServerProxy::headerNamesTheClientEverywhere()
{
    QFETCH(int, version);
    const QString proxies[] = {"127.0.0.1", "127.0.0.2", "127.0.0.1"};
    const QString clients[] = {"203.0.113.10", "198.51.100.20", "192.0.2.30"};
    std::vector<std::unique_ptr<TestClient>> held;
    QStringList expected;
    for (int i = 0; i < 3; ++i) {
        const quint16 port = quint16(40000 + i);
        const QByteArray header = version == 1 ? v1Header(clients[i], port) : v2Header(clients[i], port);
        auto client = std::make_unique<TestClient>();
        QVERIFY2(openVia(*client, *m_server, proxies[i], header).ok(), qPrintable(m_server->diagnostics()));
        GetResult small = client->get("small.bin");
        QVERIFY2(small.status.ok() && small.data == m_small, qPrintable(small.status.toString()));
        // A GET of 32 MiB (more than loopback's socket buffers hold) that is never read keeps its worker
        // sending, and its peer on the scoreboard.
        QVERIFY(client->send(proto::GetRequest{"big.bin", 0, proto::ToEnd}));
        expected << QStringLiteral("%1:%2").arg(clients[i]).arg(port);
        held.push_back(std::move(client));
    }
    expected.sort();
    const QStringList peers = pollUntil([&] { return scoreboardPeers(*m_server); },
                                        [&](const QStringList &now) { return now == expected; }, 10000);
    QCOMPARE(peers, expected);
    for (const QString &peer : expected)
        QVERIFY2(m_server->stderrText().contains(QStringLiteral("is %1 (PROXY v%2)").arg(peer).arg(version).toUtf8()),
                 qPrintable(m_server->stderrText()));
}

void TestServerProxy::fragmentedHeaderIsWaitedFor()
{
    // TCP may deliver a header in pieces: each piece is waited for under the request deadline.
    TestClient client;
    client.setSourceAddress(QStringLiteral("127.0.0.2"));
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    const QByteArray header = v2Header(QStringLiteral("203.0.113.99"), 1234);
    for (char byte : header) {
        QVERIFY(client.sendRaw(QByteArray(1, byte)));
        QTest::qWait(5); // each byte its own segment (TCP_NODELAY is the default here)
    }
    QVERIFY2(client.hello().ok(), qPrintable(m_server->diagnostics()));
    QCOMPARE(client.get("small.bin").data, m_small);
    QVERIFY(m_server->stderrText().contains("is 203.0.113.99:1234 (PROXY v2)"));
}

void TestServerProxy::localHeaderFromTrustedProxyIsServed()
{
    // A balancer's health check: v2 LOCAL, then HELLO, and WELCOME comes back.
    TestClient client;
    QVERIFY2(openVia(client, *m_server, QStringLiteral("127.0.0.1"), v2Header({}, 0, true)).ok(),
             qPrintable(m_server->diagnostics()));
    QCOMPARE(client.get("small.bin").data, m_small);
}

void TestServerProxy::perAddressLimitCountsTheRealClient()
{
    // --max-per-ip 2: a third connection naming the same client is BUSY, though every one of them came
    // from the same balancer; another client behind that balancer is still served.
    std::vector<std::unique_ptr<TestClient>> held;
    for (int i = 0; i < 2; ++i) {
        held.push_back(std::make_unique<TestClient>());
        QVERIFY(openVia(*held.back(), *m_server, "127.0.0.1", v1Header("198.51.100.1", quint16(5000 + i))).ok());
    }
    TestClient third;
    Status refused = openVia(third, *m_server, "127.0.0.1", v1Header("198.51.100.1", 5002));
    QCOMPARE(refused.outcome, Outcome::Busy);
    QVERIFY2(QString::fromStdString(refused.message).contains("198.51.100.1"), refused.message.c_str());
    TestClient other;
    QVERIFY(openVia(other, *m_server, "127.0.0.1", v1Header("198.51.100.2", 5003)).ok());
}

void TestServerProxy::untrustedHeaderIsRefusedAndLogged()
{
    // 127.0.0.9 is no balancer: a header from it would let it choose the address it is logged under.
    TestClient spoofer;
    Status answer = openVia(spoofer, *m_server, "127.0.0.9", v1Header("203.0.113.1", 7777));
    QVERIFY2(answer.outcome == Outcome::Closed || answer.outcome == Outcome::Reset, qPrintable(answer.toString()));
    QTRY_VERIFY(m_server->stderrText().contains(
        "from 127.0.0.9:" + QByteArray::number(spoofer.localPort()) + " refused: a PROXY protocol header from an "
                                                                        "address not in --trusted-proxies"));
    QVERIFY(!m_server->stderrText().contains("203.0.113.1"));
}

void TestServerProxy::directClientIsServedAndLoggedAsItself()
{
    // No header from an untrusted address: a direct client, served, and seen under its own address
    // whatever it says; its HELLO's agent names a spoofed one, which no log or status takes for its own.
    TestClient client;
    client.setSourceAddress("127.0.0.7");
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    QVERIFY(client.hello("203.0.113.5:1111").ok());
    QVERIFY(client.send(proto::GetRequest{"big.bin", 0, proto::ToEnd}));
    const QString self = QStringLiteral("127.0.0.7:%1").arg(client.localPort());
    const QStringList peers = pollUntil([&] { return scoreboardPeers(*m_server); },
                                        [&](const QStringList &now) { return now == QStringList{self}; }, 10000);
    QCOMPARE(peers, QStringList{self});
    QVERIFY(m_server->stderrText().contains(("connection 1 from " + self + " accepted").toUtf8()));
}

void TestServerProxy::trustedProxyWithoutHeaderIsRefused()
{
    TestClient client;
    Status answer = openVia(client, *m_server, "127.0.0.2", {});
    QVERIFY2(answer.outcome == Outcome::Closed || answer.outcome == Outcome::Reset, qPrintable(answer.toString()));
    QTRY_VERIFY(m_server->stderrText().contains(
        "from 127.0.0.2:" + QByteArray::number(client.localPort())
        + " refused: a connection from a trusted proxy must open with a PROXY protocol header"));
}

void TestServerProxy::malformedHeaderIsRefusedWithItsReason()
{
    TestClient client;
    Status answer = openVia(client, *m_server, "127.0.0.1", "PROXY TCP4 203.0.113.1 127.0.0.1 099 4646\r\n");
    QVERIFY2(answer.outcome == Outcome::Closed || answer.outcome == Outcome::Reset, qPrintable(answer.toString()));
    QTRY_VERIFY(m_server->stderrText().contains(
        "from 127.0.0.1:" + QByteArray::number(client.localPort())
        + " refused: a PROXY v1 port is not a decimal from 0 to 65535 without leading zeros"));
}

void TestServerProxy::partialHeaderIsRefusedAtTheDeadline()
{
    TestClient client;
    client.setSourceAddress("127.0.0.1");
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    QVERIFY(client.sendRaw(v2Header("203.0.113.1", 1).left(20)));
    QElapsedTimer clock;
    clock.start();
    Status answer = client.waitForClose(nullptr, 10000);
    QVERIFY2(answer.outcome == Outcome::Closed || answer.outcome == Outcome::Reset, qPrintable(answer.toString()));
    QVERIFY2(clock.elapsed() > 1500, "closed before the 2 s request timeout");
    QTRY_VERIFY(m_server->stderrText().contains(
        "from 127.0.0.1:" + QByteArray::number(client.localPort())
        + " refused: its PROXY protocol header was incomplete after 2.000 s"));
}

void TestServerProxy::proxyProtocolNeedsTrustedProxies()
{
    auto run = ServerProcess::run({"--root", m_tree->root(), "--proxy-protocol"});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains("--proxy-protocol needs --trusted-proxies"), run.err.constData());
    run = ServerProcess::run({"--root", m_tree->root(), "--proxy-protocol", "--trusted-proxies", "10.0.0.0/33"});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains("invalid value '10.0.0.0/33' for trusted-proxies"), run.err.constData());
}

QTEST_GUILESS_MAIN(TestServerProxy)
#include "tst_server_proxy.moc"
