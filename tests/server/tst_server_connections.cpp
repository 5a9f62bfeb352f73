// ferry-server's connection handling: the per-IP limit, a client that stops
// reading, many requests on one connection, and several connections sharing a worker.
#include "adminrequest.h"
#include "parallel.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QScopeGuard>
#include <QTest>

#include <atomic>
#include <memory>
#include <thread>

using namespace ferrytest;

class TestServerConnections : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void perIpLimitAnswersBusy_data();
    void perIpLimitAnswersBusy();
    void stalledReaderIsCutAfterSendTimeout();
    void manyRequestsOnOneConnection();
    void longResponseDoesNotHoldUpTheWorkersOtherClients();
    void handshakeSentWithRequestsIsAnsweredInOrder();
    void clientThatStopsReadingDoesNotHoldUpOthers();
    void logLinesStayWholeUnderConcurrency();
};

void TestServerConnections::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty()) {
        QSKIP("ferry-server is not built in this tree");
    }
}

void TestServerConnections::perIpLimitAnswersBusy_data()
{
    QTest::addColumn<bool>("parked"); // the held connections made a request and were parked
    QTest::newRow("held after the handshake") << false;
    QTest::newRow("held parked after a request") << true;
}

// --max-per-ip: the connection over the limit gets BUSY with a hint and a close,
// and a place freed by a client that leaves is given to the next one. Connections
// count whether they wait for a first request or are parked between requests.
void TestServerConnections::perIpLimitAnswersBusy()
{
    QFETCH(bool, parked);
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 1000, 2).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "2", "--max-per-ip", "4"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    std::vector<std::unique_ptr<TestClient>> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(std::make_unique<TestClient>());
        Status s = held.back()->open(server.host(), server.port());
        if (s.ok() && parked)
            s = held.back()->stat("small.bin");
        QVERIFY2(s.ok(), qPrintable(s.toString()));
    }
    if (parked) {
        const auto parked = [](const QJsonObject &status) {
            return status.value("pool").toObject().value("parked").toInt();
        };
        const QJsonObject status = awaitAdminStatus(server.adminSocketPath(),
                                                    [&](const QJsonObject &s) { return parked(s) >= 4; });
        QCOMPARE(parked(status), 4);
    }
    TestClient over;
    const Status refused = over.open(server.host(), server.port());
    QVERIFY2(refused.outcome == Outcome::Busy && refused.retryAfterMs > 0, qPrintable(refused.toString()));
    const Status end = over.waitForClose();
    QVERIFY2(end.outcome == Outcome::Closed || end.outcome == Outcome::Reset, qPrintable(end.toString()));

    const quint16 leaving = held.front()->localPort();
    held.front()->close();
    // The server learns of the close asynchronously. Once no server process holds that connection's
    // socket, the parent has forgotten it (closing it and giving its place back are one step), so the next
    // connection must be admitted at its first attempt. Only /proc is read here: QTRY may repeat it.
    QTRY_VERIFY_WITH_TIMEOUT(server.pidServingClientPort(leaving, 0) < 0, 10000);
    TestClient next;
    const Status admitted = next.open(server.host(), server.port());
    QVERIFY2(admitted.ok(), qPrintable(admitted.toString()));
    const GetResult r = held.back()->get("small.bin");
    QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
    QCOMPARE(server.stop(), 0);
}

// A client that asks for a large file and stops reading holds its worker only
// until --send-timeout: then it is cut, and the only worker serves the next client.
void TestServerConnections::stalledReaderIsCutAfterSendTimeout()
{
    constexpr uint64_t Size = 64 * 1024 * 1024;
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("big.bin"), Size, 6).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 5000, 7).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1", "--send-timeout", "2s"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    TestClient stalled;
    QVERIFY(stalled.open(server.host(), server.port()).ok());
    QVERIFY(stalled.send(proto::GetRequest{"big.bin", 0, proto::ToEnd})); // and never read

    TestClient next(60000);
    const Status opened = next.open(server.host(), server.port());
    QVERIFY2(opened.ok(), qPrintable(opened.toString()));
    const GetResult r = next.get("small.bin");
    QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
    QVERIFY(r.data == patternBytes(7, 0, 5000));

    // The stalled client finds its connection closed once it drains what was sent.
    const Status end = stalled.waitForClose(nullptr, 30000);
    QVERIFY2(end.outcome == Outcome::Closed || end.outcome == Outcome::Reset, qPrintable(end.toString()));
    QCOMPARE(server.workerPids().size(), 1);
    QCOMPARE(server.stop(), 0);
}

// One connection, thousands of requests: every answer arrives in step, whether
// the connection stays with a worker or is parked with the parent in between.
void TestServerConnections::manyRequestsOnOneConnection()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 3000, 4).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "2", "--log-level", "warn"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    const QByteArray expected = patternBytes(4, 100, 200);
    for (int i = 0; i < 3000; ++i) {
        if (i % 2 == 0) {
            const GetResult r = client.get("small.bin", 100, 200);
            QVERIFY2(r.status.ok() && r.data == expected,
                     qPrintable(QStringLiteral("request %1: %2").arg(i).arg(r.status.toString())));
        } else {
            proto::Entry entry;
            const Status s = client.stat("small.bin", &entry);
            QVERIFY2(s.ok() && entry.size == 3000,
                     qPrintable(QStringLiteral("request %1: %2").arg(i).arg(s.toString())));
        }
    }
    QCOMPARE(server.stop(), 0);
}

// A worker keeps its active kept-alive connections and answers them from one loop. When one of them
// starts a long body, the others must not wait behind it: the worker hands them back to the parent, which
// gives them to the other worker. Two clients keep asking while a third downloads slowly; with two
// workers the download shares its worker with one of them, and both must be answered throughout.
void TestServerConnections::longResponseDoesNotHoldUpTheWorkersOtherClients()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 100, 5).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("slow.bin"), 3 * 1024 * 1024, 6).isEmpty());
    // 1 MiB/s: the download takes about three seconds, far longer than the stat rounds below.
    ServerProcess server(tree.root(), {"--workers", "2", "--max-workers", "2", "--rate-limit", "1M"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient first, second;
    QVERIFY(first.open(server.host(), server.port()).ok());
    QVERIFY(second.open(server.host(), server.port()).ok());
    QVERIFY(first.stat("small.bin").ok());
    QVERIFY(second.stat("small.bin").ok());

    std::atomic<bool> downloadStarted{false};
    std::atomic<bool> downloadDone{false};
    GetResult download;
    std::thread downloader([&] {
        TestClient client;
        if (client.open(server.host(), server.port()).ok())
            download = client.get("slow.bin", 0, proto::ToEnd, [&](const char *, size_t) {
                downloadStarted = true;
                return true;
            });
        downloadDone = true;
    });
    auto joinDownloader = qScopeGuard([&] { downloader.join(); }); // also when an assertion below returns early
    QTRY_VERIFY_WITH_TIMEOUT(downloadStarted || downloadDone, 10000);
    // Both clients keep asking for as long as the download runs; no round may wait for it. A round
    // held up behind the body would last until the download's end, about three seconds.
    QElapsedTimer clock;
    clock.start();
    int rounds = 0;
    qint64 slowestRoundMs = 0;
    while (!downloadDone) {
        const qint64 roundStart = clock.elapsed();
        const Status a = first.stat("small.bin");
        const Status b = second.stat("small.bin");
        QVERIFY2(a.ok() && b.ok(), qPrintable(a.toString() + " / " + b.toString()));
        slowestRoundMs = std::max(slowestRoundMs, clock.elapsed() - roundStart);
        ++rounds;
    }
    const qint64 downloadMs = clock.elapsed();
    joinDownloader.dismiss();
    downloader.join();
    qInfo("%d rounds during the download's last %lld ms, the slowest took %lld ms", rounds, downloadMs, slowestRoundMs);
    QVERIFY2(download.status.ok() && download.received == 3 * 1024 * 1024, qPrintable(download.status.toString()));
    QVERIFY2(downloadMs > 1500, "the download was not slow enough to show anything");
    QVERIFY2(rounds > 1 && slowestRoundMs < downloadMs / 3,
             qPrintable(QStringLiteral("%1 round(s), the slowest %2 ms").arg(rounds).arg(slowestRoundMs)));

    QCOMPARE(server.stop(), 0);
}

// A client may send HELLO and its first requests in one write; the parent then leaves the WELCOME to the
// worker, which sends it with the first answer. Whatever the split, every HELLO gets its WELCOME, in
// order, and before the answers to the requests that follow it.
void TestServerConnections::handshakeSentWithRequestsIsAnsweredInOrder()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 300, 9).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const auto frames = [](std::initializer_list<proto::Message> messages) {
        std::vector<uint8_t> bytes;
        for (const proto::Message &m : messages)
            proto::encode(m, bytes);
        return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
    };
    const proto::Hello hello{proto::ProtocolVersion, "ferry-tests/1"};

    TestClient together;
    QVERIFY(together.connectTo(server.host(), server.port()).ok());
    QVERIFY(together.sendRaw(frames({hello, proto::GetRequest{"small.bin"}, hello, proto::StatRequest{"small.bin"}})));
    proto::Message first;
    QVERIFY(together.readMessage(&first).ok());
    QVERIFY(std::holds_alternative<proto::Welcome>(first));
    const GetResult body = together.readGetReply([](const char *, size_t) { return true; });
    QVERIFY2(body.status.ok() && body.received == 300, qPrintable(body.status.toString()));
    proto::Message second, stat;
    QVERIFY(together.readMessage(&second).ok() && together.readMessage(&stat).ok());
    QVERIFY(std::holds_alternative<proto::Welcome>(second));
    QVERIFY(std::holds_alternative<proto::StatReply>(stat));

    // HELLO alone, then the request once WELCOME came: the parent answers the HELLO itself.
    TestClient apart;
    QVERIFY(apart.connectTo(server.host(), server.port()).ok());
    QVERIFY(apart.sendRaw(frames({hello})));
    QVERIFY(apart.readMessage(&first).ok());
    QVERIFY(std::holds_alternative<proto::Welcome>(first));
    QVERIFY(apart.stat("small.bin").ok());
    // A repeated HELLO alone, most likely to the worker still holding the connection: answered at once.
    QVERIFY(apart.sendRaw(frames({hello})));
    QVERIFY(apart.readMessage(&second).ok());
    QVERIFY(std::holds_alternative<proto::Welcome>(second));

    // Two HELLOs, then a malformed frame: both WELCOMEs, then the ERROR.
    TestClient refused;
    QVERIFY(refused.connectTo(server.host(), server.port()).ok());
    QVERIFY(refused.sendRaw(frames({hello, hello}) + QByteArray("GET / HTTP/1.1\r\n\r\n")));
    std::vector<proto::Message> seen;
    QVERIFY(refused.waitForClose(&seen, 10000).outcome != Outcome::Timeout);
    QCOMPARE(seen.size(), size_t(3));
    QVERIFY(std::holds_alternative<proto::Welcome>(seen[0]) && std::holds_alternative<proto::Welcome>(seen[1]));
    QVERIFY(std::holds_alternative<proto::Error>(seen[2]));
    QCOMPARE(server.stop(), 0);
}

// The same for small answers, which a worker sends without ceremony: a client that pipelines thousands of
// GETs and reads none of the answers fills the socket buffers, and the worker has to wait. Before it does,
// it hands its other connections back, so they are answered meanwhile.
void TestServerConnections::clientThatStopsReadingDoesNotHoldUpOthers()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 16 * 1024, 11).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "2", "--max-workers", "2", "--send-timeout", "60s"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    // Far below the send timeout: an answer that waited for the stalled client would time out here.
    TestClient first(10000), second(10000);
    QVERIFY(first.open(server.host(), server.port()).ok());
    QVERIFY(second.open(server.host(), server.port()).ok());
    QVERIFY(first.stat("small.bin").ok());
    QVERIFY(second.stat("small.bin").ok());

    TestClient stalled;
    QVERIFY(stalled.open(server.host(), server.port()).ok());
    std::vector<uint8_t> requests;
    for (int i = 0; i < 4000; ++i) // 64 MiB of answers: far more than the socket buffers hold
        proto::encode(proto::GetRequest{"small.bin"}, requests);
    QVERIFY(stalled.sendRaw(QByteArray(reinterpret_cast<const char *>(requests.data()), qsizetype(requests.size()))));
    for (int round = 0; round < 200; ++round) {
        const Status a = first.stat("small.bin");
        const Status b = second.stat("small.bin");
        QVERIFY2(a.ok() && b.ok(), qPrintable(QStringLiteral("round %1: %2 / %3").arg(round).arg(a.toString(),
                                                                                                 b.toString())));
    }
    stalled.close();
    server.kill(); // the stalled answers would otherwise keep a worker busy until the send timeout
}

// docs/OPERATIONS.md, Logs: each line is written with one write(), so the lines of the parent and its
// workers never interleave. 300 clients on 6 threads make the parent log each accept and the four
// workers each cut-off download at the same time, in long lines (a path of 1,800 bytes) that a
// line written in pieces would have plenty of time to be cut into.
void TestServerConnections::logLinesStayWholeUnderConcurrency()
{
    constexpr int Clients = 300;
    std::string name;
    for (int depth = 0; depth < 9; ++depth)
        name += std::string(199, char('a' + depth)) + '/';
    name += "file.bin";
    TestTree tree;
    QVERIFY(!tree.addFile(QString::fromStdString(name), 32 * 1024 * 1024, 12).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "4", "--max-per-ip", "0", "--log-level", "debug"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    std::atomic<int> cutOff{0};
    runInThreads(Clients, 6, [&](int) {
        TestClient client(10000);
        if (client.open(server.host(), server.port()).ok()
            && client.get(name, 0, proto::ToEnd, [](const char *, size_t) { return false; }).status.outcome
                   == Outcome::Failed)
            ++cutOff; // closed by the client after its first bytes
    });
    QCOMPARE(cutOff.load(), Clients);
    const auto stopped = [&] { return server.stderrText().count("stopped after"); };
    QTRY_COMPARE_WITH_TIMEOUT(stopped(), Clients, 15000);
    QCOMPARE(server.stop(), 0);

    const QRegularExpression whole(QStringLiteral(
        R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) \[(\d+)\] \S.*$)"));
    QSet<QString> writers;
    const QList<QByteArray> lines = server.stderrText().split('\n');
    for (qsizetype i = 0; i + 1 < lines.size(); ++i) { // the last element is what follows the final newline
        const QRegularExpressionMatch m = whole.match(QString::fromUtf8(lines[i]));
        QVERIFY2(m.hasMatch(), qPrintable(QStringLiteral("line %1 is not one whole log line: %2").arg(i + 1)
                                              .arg(QString::fromUtf8(lines[i].left(300)))));
        writers.insert(m.captured(2));
    }
    QVERIFY(lines.last().isEmpty());
    QVERIFY2(writers.size() >= 3, qPrintable(QStringLiteral("only %1 process(es) logged").arg(writers.size())));
}

QTEST_GUILESS_MAIN(TestServerConnections)
#include "tst_server_connections.moc"
