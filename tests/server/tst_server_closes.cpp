// ferry-server and --max-per-ip against the workers' close reports: a worker closes a connection first and
// reports the close to the parent at the end of its loop turn, so a client that reconnects at once can
// arrive before the report. Such a client must be welcome (its address waits for the report instead of
// being refused), and a client that really is over its limit must still be told BUSY. Both hold for a
// client behind a balancer too, whose address arrives in a PROXY header (--proxy-protocol).
#include "adminrequest.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QJsonObject>
#include <QElapsedTimer>
#include <QTest>

#include <memory>

using namespace ferrytest;

namespace {

constexpr quint64 FileSize = 700;

// The address a balancer names in its PROXY header for every connection of these tests: one client.
const QByteArray ProxiedClient = QByteArrayLiteral("PROXY TCP4 198.51.100.7 127.0.0.1 40000 4646\r\n");

// Connects and sends HELLO (version 2), a GET of small.bin and BYE in one write, as ferry-bench -n does;
// behind a balancer, the PROXY header leads that write, as a balancer that relays at once sends it.
std::unique_ptr<TestClient> sendShort(const ServerProcess &server, bool proxied)
{
    auto client = std::make_unique<TestClient>(15000);
    const proto::Hello hello{proto::ProtocolVersion2, "ferry-tests/1"};
    const QByteArray frames = encodeFrames({hello, proto::GetRequest{"small.bin"}, proto::Bye{}});
    if (!client->connectTo(server.host(), server.port()).ok()
        || !client->sendRaw(proxied ? ProxiedClient + frames : frames))
        return nullptr;
    return client;
}

// Reads a short connection's answer to its end: empty if it was WELCOME, the whole file and the server's
// close, else what went wrong (a BUSY names the limit that refused it).
QString finishShort(TestClient &client)
{
    proto::Message first;
    if (Status status = client.readMessage(&first); !status.ok())
        return QStringLiteral("no answer: ") + status.toString();
    if (const auto *busy = std::get_if<proto::Busy>(&first))
        return QStringLiteral("BUSY: ") + QString::fromStdString(busy->message);
    if (!std::holds_alternative<proto::Welcome>(first))
        return QStringLiteral("not a WELCOME");
    quint64 bytes = 0;
    const GetResult body = client.readGetReply([&bytes](const char *, size_t size) {
        bytes += size;
        return true;
    });
    if (!body.status.ok() || bytes != FileSize)
        return QStringLiteral("GET: ") + body.status.toString();
    if (Status end = client.waitForClose(nullptr, 10000); end.outcome != Outcome::Closed)
        return QStringLiteral("not closed: ") + end.toString();
    return {};
}

QString shortConnection(const ServerProcess &server, bool proxied)
{
    std::unique_ptr<TestClient> client = sendShort(server, proxied);
    return client ? finishShort(*client) : QStringLiteral("could not connect");
}

// The server's options for these tests: the per-address limit, and behind a balancer the PROXY protocol
// from this test's own address.
QStringList limitedTo1(bool proxied, QStringList more = {})
{
    QStringList options{"--workers", "1", "--max-per-ip", "1"};
    if (proxied)
        options << "--proxy-protocol" << "--trusted-proxies" << "127.0.0.1";
    return options + more;
}

void addPathRows()
{
    QTest::addColumn<bool>("proxied");
    QTest::newRow("direct") << false;
    QTest::newRow("behind a PROXY header") << true;
}

qint64 poolValue(const ServerProcess &server, const char *key)
{
    return adminStatus(server.adminSocketPath()).value("pool").toObject().value(key).toInteger(-1);
}

} // namespace

class TestServerCloses : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void aClosedConnectionNoLongerCountsWhenItsClientReturns_data() { addPathRows(); }
    void aClosedConnectionNoLongerCountsWhenItsClientReturns();
    void aClientOverItsLimitIsStillRefused_data() { addPathRows(); }
    void aClientOverItsLimitIsStillRefused();

private:
    TestTree m_tree;
};

void TestServerCloses::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    QVERIFY(!m_tree.addFile("small.bin", FileSize, 7).isEmpty());
    QVERIFY(!m_tree.addFile("large.bin", 4 * 1024 * 1024, 8).isEmpty());
}

// --max-per-ip 1 and one short connection after another from the same address (HELLO, GET and BYE, the
// server closes first): each is welcome. Without the wait for the close report, one in a few hundred
// was told BUSY for the connection its client had just seen closed.
void TestServerCloses::aClosedConnectionNoLongerCountsWhenItsClientReturns()
{
    QFETCH(bool, proxied);
    ServerProcess server(m_tree.root(), limitedTo1(proxied));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));
    constexpr int Rounds = 300;
    for (int i = 0; i < Rounds; ++i) {
        const QString failure = shortConnection(server, proxied);
        QVERIFY2(failure.isEmpty(), qPrintable(QStringLiteral("connection %1: %2").arg(i).arg(failure)));
    }
    QCOMPARE(poolValue(server, "accepted"), qint64(Rounds));
    QCOMPARE(poolValue(server, "rejected_busy"), qint64(0));
    QCOMPARE(server.stop(), 0);
}

// The address's one connection is inside a worker, in the middle of a slow body: a second one waits for
// a close report that does not come, and is then told BUSY; the first goes on.
void TestServerCloses::aClientOverItsLimitIsStillRefused()
{
    QFETCH(bool, proxied);
    ServerProcess server(m_tree.root(), limitedTo1(proxied, {"--rate-limit", "64k"}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));
    TestClient slow(15000);
    QVERIFY(slow.connectTo(server.host(), server.port()).ok());
    QVERIFY(!proxied || slow.sendRaw(ProxiedClient));
    QVERIFY(slow.hello().ok());
    QVERIFY(slow.send(proto::GetRequest{"large.bin"}));
    proto::Message first;
    QVERIFY(slow.readMessage(&first).ok() && std::holds_alternative<proto::Body>(first)); // in the worker now

    QElapsedTimer waited;
    waited.start();
    const QString refused = shortConnection(server, proxied);
    QVERIFY2(refused.startsWith(QStringLiteral("BUSY: too many connections")), qPrintable(refused));
    QVERIFY2(!proxied || refused.contains(QStringLiteral("198.51.100.7")), qPrintable(refused));
    QVERIFY2(waited.elapsed() >= 90, qPrintable(QStringLiteral("BUSY after %1 ms").arg(waited.elapsed())));
    QCOMPARE(poolValue(server, "rejected_busy"), qint64(1));
    slow.close(); // the body would take a minute: the server's stop waits for it otherwise
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestServerCloses)
#include "tst_server_closes.moc"
