// ferry-server's close reports: a worker publishes each connection it closes in its close ring in shared
// memory, and the parent reads the rings when it wakes anyway (server/parent/supervisor_closes.cpp).
// Every close must be counted exactly once: a client that saw its connection end is never refused as
// still connected, closes left in the ring of a worker that dies are not taken for connections lost with
// it, and a reload after many short connections replaces the workers promptly. The ring-full fallback
// (more closes than the ring holds while the parent sleeps) is tst_server_handoff's
// closeReportsWaitingTogetherAreAllRead.
#include "adminrequest.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <csignal>
#include <memory>

using namespace ferrytest;

namespace {

constexpr quint64 FileSize = 700;

QByteArray frames(std::initializer_list<proto::Message> messages)
{
    std::vector<uint8_t> bytes;
    for (const proto::Message &m : messages)
        proto::encode(m, bytes);
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

// Connects and sends HELLO (version 2), a GET of small.bin and BYE in one write, as ferry-bench -n does.
std::unique_ptr<TestClient> sendShort(const ServerProcess &server)
{
    auto client = std::make_unique<TestClient>(15000);
    const proto::Hello hello{proto::ProtocolVersion2, "ferry-tests/1"};
    if (!client->connectTo(server.host(), server.port()).ok()
        || !client->sendRaw(frames({hello, proto::GetRequest{"small.bin"}, proto::Bye{}})))
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

QString shortConnection(const ServerProcess &server)
{
    std::unique_ptr<TestClient> client = sendShort(server);
    return client ? finishShort(*client) : QStringLiteral("could not connect");
}

qint64 poolValue(const ServerProcess &server, const char *key)
{
    return adminStatus(server.adminSocketPath()).value("pool").toObject().value(key).toInteger(-1);
}

QList<int> workerGenerations(const ServerProcess &server)
{
    QList<int> generations;
    for (const QJsonValue worker : adminStatus(server.adminSocketPath()).value("workers").toArray())
        generations.append(worker.toObject().value("generation").toInt());
    return generations;
}

} // namespace

class TestServerCloses : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void aClosedConnectionNoLongerCountsWhenItsClientReturns();
    void closesLeftInADeadWorkersRingAreNotLost();
    void reloadAfterShortConnectionsIsPrompt();

private:
    TestTree m_tree;
};

void TestServerCloses::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    QVERIFY(!m_tree.addFile("small.bin", FileSize, 7).isEmpty());
}

// --max-per-ip 1 and one short connection after another from the same address: each is welcome, because
// the worker publishes the close before the client can see it, and the parent reads it when it accepts
// the next. No close is lost or late, or the next connection would be told BUSY.
void TestServerCloses::aClosedConnectionNoLongerCountsWhenItsClientReturns()
{
    ServerProcess server(m_tree.root(), {"--workers", "1", "--max-per-ip", "1"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));
    constexpr int Rounds = 300;
    for (int i = 0; i < Rounds; ++i) {
        const QString failure = shortConnection(server);
        QVERIFY2(failure.isEmpty(), qPrintable(QStringLiteral("connection %1: %2").arg(i).arg(failure)));
    }
    QCOMPARE(poolValue(server, "accepted"), qint64(Rounds));
    QCOMPARE(poolValue(server, "rejected_busy"), qint64(0));
    QCOMPARE(server.stop(), 0);
}

// The worker serves 8 short connections while the parent is stopped, so their closes wait in its ring,
// and is killed before the parent reads them: the parent must take them as closes, not as connections
// lost with the worker (which would log each), and count the address's connections out exactly once.
void TestServerCloses::closesLeftInADeadWorkersRingAreNotLost()
{
    constexpr int Clients = 8;
    ServerProcess server(m_tree.root(),
                         {"--workers", "1", "--max-per-ip", QString::number(Clients), "--log-level", "info"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));
    const qint64 worker = server.workerPids().value(0);
    QVERIFY(worker > 0);

    QCOMPARE(::kill(pid_t(worker), SIGSTOP), 0);
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < Clients; ++i) {
        clients.push_back(sendShort(server));
        QVERIFY(clients.back());
    }
    QTRY_COMPARE_WITH_TIMEOUT(poolValue(server, "accepted"), qint64(Clients), 10000); // in the worker's channel
    QVERIFY(server.signal(SIGSTOP));
    QCOMPARE(::kill(pid_t(worker), SIGCONT), 0);
    for (int i = 0; i < Clients; ++i) {
        const QString failure = finishShort(*clients[size_t(i)]);
        QVERIFY2(failure.isEmpty(), qPrintable(QStringLiteral("client %1: %2").arg(i).arg(failure)));
    }
    QCOMPARE(::kill(pid_t(worker), SIGKILL), 0);
    QVERIFY(server.signal(SIGCONT));
    QTRY_VERIFY_WITH_TIMEOUT(server.workerPids().size() == 1 && server.workerPids().value(0) != worker, 15000);

    QVERIFY2(!server.stderrText().contains("lost with its worker"), server.stderrText().constData());
    // The address holds no connection: as many as --max-per-ip allows are welcome at once.
    std::vector<std::unique_ptr<TestClient>> again;
    for (int i = 0; i < Clients; ++i) {
        auto client = std::make_unique<TestClient>(15000);
        const Status opened = client->open(server.host(), server.port());
        QVERIFY2(opened.ok(), qPrintable(QStringLiteral("client %1 afterwards: %2").arg(i).arg(opened.toString())));
        again.push_back(std::move(client));
    }
    QCOMPARE(server.stop(), 0);
}

// Many short connections, then SIGHUP: the workers of the old generation hold nothing (their closes sit
// in their rings, not in the parent's counts), so they are gone and the new generation serves within
// moments; and so is the shutdown after it.
void TestServerCloses::reloadAfterShortConnectionsIsPrompt()
{
    ServerProcess server(m_tree.root(), {"--workers", "2", "--max-per-ip", "4"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(2));
    const QList<qint64> oldWorkers = server.workerPids();
    for (int i = 0; i < 100; ++i) {
        const QString failure = shortConnection(server);
        QVERIFY2(failure.isEmpty(), qPrintable(QStringLiteral("connection %1: %2").arg(i).arg(failure)));
    }
    QVERIFY(server.signal(SIGHUP));
    QTRY_COMPARE_WITH_TIMEOUT(workerGenerations(server), (QList<int>{2, 2}), 5000);
    for (qint64 pid : oldWorkers)
        QTRY_VERIFY_WITH_TIMEOUT(!ServerProcess::processExists(pid), 5000);
    QVERIFY(shortConnection(server).isEmpty());
    QElapsedTimer stopping;
    stopping.start();
    QCOMPARE(server.stop(), 0);
    QVERIFY2(stopping.elapsed() < 5000, qPrintable(QStringLiteral("stopping took %1 ms").arg(stopping.elapsed())));
}

QTEST_GUILESS_MAIN(TestServerCloses)
#include "tst_server_closes.moc"
