// ferry-server's short-connection path: connections accepted together reach a worker in one batched
// SCM_RIGHTS message, and each arrives exactly once, also when the worker dies with a batch unread; and
// the workers' close reports all reach the parent, also when several wait in its channel at once; and
// the workers' open-file cache never serves a file that was replaced under its name.
#include "adminrequest.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <csignal>
#include <memory>
#include <sys/stat.h>
#include <fcntl.h>

using namespace ferrytest;

namespace {

// How many clients connect while the parent is stopped: all of them are then accepted in one wake-up
// and dispatched to the one worker in one batch (at most 64 accepts per wake-up, 32 per message).
constexpr int Burst = 24;

std::string fileName(int i) { return QStringLiteral("f%1.bin").arg(i, 2, 10, QLatin1Char('0')).toStdString(); }

qint64 poolValue(const QJsonObject &status, const char *key)
{
    return status.value("pool").toObject().value(key).toInteger(-1);
}

qint64 poolValue(const ServerProcess &server, const char *key)
{
    return poolValue(adminStatus(server.adminSocketPath()), key);
}

// The pool's `key` once it has reached `atLeast`, or after 10 s as it was then (a status query per
// try: awaitAdminStatus(), never QTRY_*). At least, so that a count that overshoots is seen at once.
qint64 awaitPoolValue(const ServerProcess &server, const char *key, qint64 atLeast)
{
    return poolValue(awaitAdminStatus(server.adminSocketPath(),
                                      [&](const QJsonObject &s) { return poolValue(s, key) >= atLeast; }),
                     key);
}

qint64 requestsServed(const QJsonObject &status)
{
    qint64 total = 0;
    for (const QJsonValue worker : status.value("workers").toArray())
        total += worker.toObject().value("requests").toInteger();
    return total;
}

// Connects `count` clients and sends each HELLO and a GET of its own file, while the server's parent
// is stopped: the connections wait in the kernel's accept queue, their requests with them.
std::vector<std::unique_ptr<TestClient>> connectBurst(const ServerProcess &server, int count)
{
    std::vector<std::unique_ptr<TestClient>> clients;
    const proto::Hello hello{proto::ProtocolVersion, "ferry-tests/1"};
    for (int i = 0; i < count; ++i) {
        auto client = std::make_unique<TestClient>(15000);
        if (!client->connectTo(server.host(), server.port()).ok()
            || !client->sendRaw(encodeFrames({hello, proto::GetRequest{fileName(i)}})))
            return {};
        clients.push_back(std::move(client));
    }
    return clients;
}

// As connectBurst(), each with a version 2 HELLO and BYE behind its GET: the worker closes every one
// right after its answer.
std::vector<std::unique_ptr<TestClient>> connectShortBurst(const ServerProcess &server, int count)
{
    std::vector<std::unique_ptr<TestClient>> clients;
    const proto::Hello hello{proto::ProtocolVersion2, "ferry-tests/1"};
    for (int i = 0; i < count; ++i) {
        auto client = std::make_unique<TestClient>(15000);
        if (!client->connectTo(server.host(), server.port()).ok()
            || !client->sendRaw(encodeFrames({hello, proto::GetRequest{fileName(i % Burst)}, proto::Bye{}})))
            return {};
        clients.push_back(std::move(client));
    }
    return clients;
}

void replaceByRename(const QString &path, const QByteArray &content)
{
    QFile next(path + ".new");
    QVERIFY(next.open(QIODevice::WriteOnly) && next.write(content) == content.size());
    next.close();
    QVERIFY(::rename(QFile::encodeName(path + ".new").constData(), QFile::encodeName(path).constData()) == 0);
}

void replaceByDeleteAndCreate(const QString &path, const QByteArray &content)
{
    QVERIFY(QFile::remove(path));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write(content) == content.size());
}

void rewriteInPlace(const QString &path, const QByteArray &content)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadWrite) && file.write(content) == content.size());
}

} // namespace

class TestServerHandoff : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void burstArrivesOnceEach();
    void workerDyingWithBatchUnreadLeaksNothing();
    void closeReportsWaitingTogetherAreAllRead();
    void replacedFileIsNeverServedStale_data();
    void replacedFileIsNeverServedStale();
};

void TestServerHandoff::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
}

// A burst of connections, each with its own file: every client gets exactly its own file, once, and the
// worker served exactly one request per connection (none dropped, none served twice).
void TestServerHandoff::burstArrivesOnceEach()
{
    TestTree tree;
    for (int i = 0; i < Burst; ++i)
        QVERIFY(!tree.addFile(QString::fromStdString(fileName(i)), 500 + i, quint32(i + 1)).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1", "--max-per-ip", "0"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));

    QVERIFY(server.signal(SIGSTOP));
    std::vector<std::unique_ptr<TestClient>> clients = connectBurst(server, Burst);
    QVERIFY(server.signal(SIGCONT));
    QCOMPARE(int(clients.size()), Burst);

    for (int i = 0; i < Burst; ++i) {
        TestClient &client = *clients[size_t(i)];
        proto::Message welcome;
        QVERIFY2(client.readMessage(&welcome).ok() && std::holds_alternative<proto::Welcome>(welcome),
                 qPrintable(QStringLiteral("client %1: no WELCOME").arg(i)));
        QByteArray data;
        const GetResult body = client.readGetReply([&data](const char *bytes, size_t size) {
            data.append(bytes, qsizetype(size));
            return true;
        });
        QVERIFY2(body.status.ok(), qPrintable(QStringLiteral("client %1: %2").arg(i).arg(body.status.toString())));
        QVERIFY2(data == patternBytes(quint32(i + 1), 0, uint64_t(500 + i)),
                 qPrintable(QStringLiteral("client %1 was given another connection's file").arg(i)));
    }
    for (const auto &client : clients)
        QVERIFY(client->isOpenAndQuiet()); // one answer each, nothing more
    QCOMPARE(poolValue(server, "accepted"), qint64(Burst));
    // The worker counts requests (a HELLO is not one): each connection's GET, once.
    const QJsonObject served = awaitAdminStatus(
        server.adminSocketPath(), [](const QJsonObject &status) { return requestsServed(status) >= Burst; });
    QCOMPARE(requestsServed(served), qint64(Burst));
    QCOMPARE(server.stop(), 0);
}

// The worker is stopped, so the batch it was sent stays unread in its channel, and then killed: every
// client must see its connection end (none left hanging), the parent must hold no fd more than before
// (the batch's sockets closed with the channel), and the respawned worker serves the next client.
void TestServerHandoff::workerDyingWithBatchUnreadLeaksNothing()
{
    TestTree tree;
    for (int i = 0; i < Burst; ++i)
        QVERIFY(!tree.addFile(QString::fromStdString(fileName(i)), 300, quint32(i + 1)).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1", "--max-per-ip", "0"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));
    const qint64 worker = server.workerPids().value(0);
    QVERIFY(worker > 0);
    const int parentFds = ServerProcess::openFdCount(server.pid());

    QCOMPARE(::kill(pid_t(worker), SIGSTOP), 0);
    QVERIFY(server.signal(SIGSTOP));
    std::vector<std::unique_ptr<TestClient>> clients = connectBurst(server, Burst);
    QVERIFY(server.signal(SIGCONT));
    QCOMPARE(int(clients.size()), Burst);
    QCOMPARE(awaitPoolValue(server, "accepted", Burst), qint64(Burst)); // accepted and sent on
    QCOMPARE(poolValue(server, "pending"), qint64(0));
    for (const auto &client : clients)
        QVERIFY(client->isOpenAndQuiet()); // nothing answered: the batch waits in the stopped worker's channel

    QCOMPARE(::kill(pid_t(worker), SIGKILL), 0);
    for (int i = 0; i < Burst; ++i) {
        const Status end = clients[size_t(i)]->waitForClose(nullptr, 10000);
        QVERIFY2(end.outcome == Outcome::Closed || end.outcome == Outcome::Reset,
                 qPrintable(QStringLiteral("client %1: %2").arg(i).arg(end.toString())));
    }
    QTRY_VERIFY_WITH_TIMEOUT(server.workerPids().size() == 1 && server.workerPids().value(0) != worker, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(ServerProcess::openFdCount(server.pid()), parentFds, 10000);

    TestClient next;
    QVERIFY(next.open(server.host(), server.port()).ok());
    QCOMPARE(next.get(fileName(3)).data, patternBytes(4, 0, 300));
    QCOMPARE(server.stop(), 0);
}

// The parent reads one message from a worker's channel per wake-up and relies on the channel being
// reported again while more wait in it. More than 32 connections closed in one go while the parent is
// stopped leave two close reports queued (a report holds 32 at most): both must be read, or the
// connections of the second would still count against the address's --max-per-ip.
void TestServerHandoff::closeReportsWaitingTogetherAreAllRead()
{
    constexpr int Clients = 40;
    TestTree tree;
    for (int i = 0; i < Burst; ++i)
        QVERIFY(!tree.addFile(QString::fromStdString(fileName(i)), 200, quint32(i + 1)).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1", "--max-per-ip", QString::number(Clients)});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));
    const qint64 worker = server.workerPids().value(0);
    QVERIFY(worker > 0);

    // Every connection reaches the stopped worker; then the parent stops and the worker serves them all.
    QCOMPARE(::kill(pid_t(worker), SIGSTOP), 0);
    QVERIFY(server.signal(SIGSTOP));
    std::vector<std::unique_ptr<TestClient>> clients = connectShortBurst(server, Clients);
    QVERIFY(server.signal(SIGCONT));
    QCOMPARE(int(clients.size()), Clients);
    QCOMPARE(awaitPoolValue(server, "accepted", Clients), qint64(Clients));
    QVERIFY(server.signal(SIGSTOP));
    QCOMPARE(::kill(pid_t(worker), SIGCONT), 0);
    for (int i = 0; i < Clients; ++i) {
        TestClient &client = *clients[size_t(i)];
        proto::Message welcome;
        QVERIFY2(client.readMessage(&welcome).ok() && std::holds_alternative<proto::Welcome>(welcome),
                 qPrintable(QStringLiteral("client %1: no WELCOME").arg(i)));
        const GetResult body = client.readGetReply([](const char *, size_t) { return true; });
        QVERIFY2(body.status.ok(), qPrintable(QStringLiteral("client %1: %2").arg(i).arg(body.status.toString())));
        QCOMPARE(client.waitForClose(nullptr, 10000).outcome, Outcome::Closed);
    }
    clients.clear();
    QVERIFY(server.signal(SIGCONT));
    // Each STATUS is answered in a turn of the parent's loop of its own; a channel with a report left in
    // it is read once in every turn. Two turns suffice for two reports; three make sure.
    for (int i = 0; i < 3; ++i)
        QCOMPARE(poolValue(server, "accepted"), qint64(Clients));

    // The address holds no connection now: as many as --max-per-ip allows are welcome again.
    std::vector<std::unique_ptr<TestClient>> again;
    for (int i = 0; i < Clients; ++i) {
        auto client = std::make_unique<TestClient>(15000);
        const Status opened = client->open(server.host(), server.port());
        QVERIFY2(opened.ok(), qPrintable(QStringLiteral("client %1 of the second round: %2").arg(i).arg(opened.toString())));
        again.push_back(std::move(client));
    }
    QCOMPARE(server.stop(), 0);
}

void TestServerHandoff::replacedFileIsNeverServedStale_data()
{
    QTest::addColumn<int>("how");
    QTest::newRow("renamed over") << 0;
    QTest::newRow("deleted and created again") << 1;
    QTest::newRow("rewritten in place") << 2;
}

// Two GETs of one name on one connection, the file replaced in between by another of the same size and
// the same mtime: the second GET must bring the new content, whatever the worker kept open.
void TestServerHandoff::replacedFileIsNeverServedStale()
{
    QFETCH(int, how);
    TestTree tree;
    const QString path = tree.addFile(QStringLiteral("hot.bin"), 4096, 1);
    QVERIFY(!path.isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    for (int i = 0; i < 3; ++i) // the worker has the file open and cached by now
        QCOMPARE(client.get("hot.bin").data, patternBytes(1, 0, 4096));

    struct stat before {};
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &before), 0);
    const QByteArray next = patternBytes(2, 0, 4096);
    switch (how) {
    case 0: replaceByRename(path, next); break;
    case 1: replaceByDeleteAndCreate(path, next); break;
    default: rewriteInPlace(path, next); break;
    }
    if (QTest::currentTestFailed())
        return;
    const timespec times[2] = {before.st_atim, before.st_mtim}; // the old file's mtime, to the nanosecond
    QCOMPARE(::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, 0), 0);

    const GetResult second = client.get("hot.bin");
    QVERIFY2(second.status.ok(), qPrintable(second.status.toString()));
    QVERIFY2(second.data == next, "the second GET served the replaced file's old content");
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestServerHandoff)
#include "tst_server_handoff.moc"
