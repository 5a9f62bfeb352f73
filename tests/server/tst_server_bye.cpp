// BYE against the real server (docs/PROTOCOL.md §10.6): the answers before it come in full, then the
// server closes first, so TCP's TIME_WAIT stays on the server's side and not in the client's port range;
// a version 1 connection refuses it; a short connection's descriptors are all given back.
#include "polling.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include "protocol/codec.h"

#include <QFile>
#include <QTest>

using namespace ferrytest;

namespace {

// The TCP states of connections from local port `local` to remote port `remote` (/proc/net/tcp's "st"
// column, hex: "06" is TIME_WAIT).
QStringList tcpStates(quint16 local, quint16 remote)
{
    QStringList states;
    QFile table(QStringLiteral("/proc/net/tcp"));
    if (!table.open(QIODevice::ReadOnly))
        return states;
    const auto hexPort = [](quint16 port) { return QByteArray::number(port, 16).toUpper().rightJustified(4, '0'); };
    const QByteArray from = ':' + hexPort(local), to = ':' + hexPort(remote);
    for (const QByteArray &line : table.readAll().split('\n')) { // readAll(): /proc files report size 0
        const QList<QByteArray> f = line.simplified().split(' ');
        if (f.size() > 3 && f[1].endsWith(from) && f[2].endsWith(to))
            states.append(QString::fromLatin1(f[3]));
    }
    return states;
}

constexpr auto TimeWait = "06";

// The answer to a GET sent earlier (with BYE behind it), its body collected into `body`.
GetResult readGetReplyInto(TestClient &client, QByteArray &body)
{
    return client.readGetReply([&](const char *data, size_t size) {
        body.append(data, qsizetype(size));
        return true;
    });
}

} // namespace

class TestServerBye : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void getThenByeIsAnsweredThenTheServerClosesFirst();
    void helloThenByeGetsWelcomeThenClose();
    void byeAfterKeptAliveRequests();
    void byeFromAConnectionWaitingInTheParent();
    void byeInVersion1IsRefused();
    void shortConnectionsGiveEveryDescriptorBack();

private:
    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
    QByteArray m_content;
};

void TestServerBye::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    m_tree = std::make_unique<TestTree>();
    QVERIFY(m_tree->isValid());
    QVERIFY(!m_tree->addFile(QStringLiteral("small.bin"), 4096, 7).isEmpty());
    QFile file(m_tree->root() + QStringLiteral("/small.bin"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    m_content = file.readAll();
    m_server = std::make_unique<ServerProcess>(m_tree->root(), QStringList{"--workers", "2"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestServerBye::cleanupTestCase() { m_server.reset(); }

// The short connection BYE exists for: HELLO, GET and BYE in one write, as ferry-bench -n sends them.
void TestServerBye::getThenByeIsAnsweredThenTheServerClosesFirst()
{
    TestClient client;
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    const quint16 clientPort = client.localPort();
    QVERIFY(client.sendRaw(encodeFrames({proto::Hello{proto::ProtocolVersion2, "bye"},
                                   proto::GetRequest{"small.bin", 0, proto::ToEnd}, proto::Bye{}})));
    proto::Message welcome;
    QVERIFY(client.readMessage(&welcome).ok());
    QVERIFY(std::holds_alternative<proto::Welcome>(welcome));
    QByteArray body;
    const GetResult got = readGetReplyInto(client, body);
    QVERIFY2(got.status.ok(), qPrintable(got.status.toString()));
    QCOMPARE(body, m_content);
    // The client has not closed: the end of the stream is the server's FIN, with no frame before it.
    std::vector<proto::Message> after;
    const Status closed = client.waitForClose(&after, 10000);
    QCOMPARE(closed.outcome, Outcome::Closed);
    QVERIFY(after.empty());
    client.close();
    // The side that closed first waits in TIME_WAIT: the server's (its port to the client's), not ours.
    QTRY_VERIFY_WITH_TIMEOUT(tcpStates(m_server->port(), clientPort).contains(TimeWait), 10000);
    QVERIFY(!tcpStates(clientPort, m_server->port()).contains(TimeWait));
}

void TestServerBye::helloThenByeGetsWelcomeThenClose()
{
    TestClient client;
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    QVERIFY(client.sendRaw(encodeFrames({proto::Hello{proto::ProtocolVersion2, "bye"}, proto::Bye{}})));
    std::vector<proto::Message> received;
    QCOMPARE(client.waitForClose(&received, 10000).outcome, Outcome::Closed);
    QCOMPARE(received.size(), size_t(1));
    QVERIFY(std::holds_alternative<proto::Welcome>(received.front()));
}

void TestServerBye::byeAfterKeptAliveRequests()
{
    TestClient client;
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    QVERIFY(client.hello("bye", proto::ProtocolVersion2).ok());
    QVERIFY(client.stat("small.bin").ok());
    QCOMPARE(client.get("small.bin").data, m_content);
    // The last request and BYE together: both STAT and GET are answered in order, then the close.
    QVERIFY(client.sendRaw(encodeFrames({proto::StatRequest{"small.bin"}, proto::GetRequest{"small.bin", 0, 100},
                                   proto::Bye{}})));
    proto::Message stat;
    QVERIFY(client.readMessage(&stat).ok());
    QVERIFY(std::holds_alternative<proto::StatReply>(stat));
    QByteArray body;
    const GetResult got = readGetReplyInto(client, body);
    QVERIFY2(got.status.ok(), qPrintable(got.status.toString()));
    QCOMPARE(body, m_content.left(100));
    std::vector<proto::Message> after;
    QCOMPARE(client.waitForClose(&after, 10000).outcome, Outcome::Closed);
    QVERIFY(after.empty());
}

// A quiet connection is held by the parent; the request and BYE that wake it go to a worker together.
void TestServerBye::byeFromAConnectionWaitingInTheParent()
{
    TestClient client;
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    QVERIFY(client.hello("bye", proto::ProtocolVersion2).ok());
    QVERIFY(client.stat("small.bin").ok());
    QTRY_COMPARE_WITH_TIMEOUT(m_server->connectionSocketCount(m_server->pid()), 1, 10000); // parked
    QVERIFY(client.sendRaw(encodeFrames({proto::GetRequest{"small.bin", 0, proto::ToEnd}, proto::Bye{}})));
    QByteArray body;
    const GetResult got = readGetReplyInto(client, body);
    QVERIFY2(got.status.ok(), qPrintable(got.status.toString()));
    QCOMPARE(body, m_content);
    QCOMPARE(client.waitForClose(nullptr, 10000).outcome, Outcome::Closed);
}

void TestServerBye::byeInVersion1IsRefused()
{
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok()); // version 1
    QVERIFY(client.send(proto::Bye{}));
    std::vector<proto::Message> received;
    const Status closed = client.waitForClose(&received, 10000);
    QVERIFY2(closed.outcome == Outcome::Closed || closed.outcome == Outcome::Reset, qPrintable(closed.toString()));
    QCOMPARE(received.size(), size_t(1));
    const auto *error = std::get_if<proto::Error>(&received.front());
    QVERIFY(error);
    QCOMPARE(error->code, proto::ErrorCode::BadRequest);
    QCOMPARE(error->message, std::string("BYE needs protocol version 2"));
}

// A connection answered and closed in one turn never enters the worker's epoll set: nothing of it may
// stay behind in any of the server's processes.
void TestServerBye::shortConnectionsGiveEveryDescriptorBack()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 4096, 3).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "2", "--max-per-ip", "0"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(2));
    const QByteArray request = encodeFrames({proto::Hello{proto::ProtocolVersion2, "bye"},
                                       proto::GetRequest{"small.bin", 0, proto::ToEnd}, proto::Bye{}});
    const auto visit = [&] {
        TestClient client;
        if (!client.connectTo(server.host(), server.port()).ok() || !client.sendRaw(request))
            return false;
        proto::Message welcome;
        const auto ignore = [](const char *, size_t) { return true; };
        return client.readMessage(&welcome).ok() && client.readGetReply(ignore).status.ok()
               && client.waitForClose(nullptr, 10000).outcome == Outcome::Closed;
    };
    QVERIFY(visit());
    QList<qint64> processes = server.workerPids();
    processes.prepend(server.pid());
    for (qint64 pid : processes)
        QTRY_COMPARE_WITH_TIMEOUT(server.connectionSocketCount(pid), 0, 10000);
    QMap<qint64, int> before;
    for (qint64 pid : processes)
        before[pid] = ServerProcess::openFdCountOutside(pid, tree.root());
    for (int i = 0; i < 300; ++i)
        QVERIFY2(visit(), qPrintable(QStringLiteral("connection %1").arg(i)));
    QCOMPARE(server.workerPids().size(), 2);
    for (qint64 pid : processes) {
        QTRY_COMPARE_WITH_TIMEOUT(server.connectionSocketCount(pid), 0, 10000);
        QCOMPARE(ServerProcess::openFdCountOutside(pid, tree.root()), before.value(pid));
    }
}

QTEST_GUILESS_MAIN(TestServerBye)
#include "tst_server_bye.moc"
