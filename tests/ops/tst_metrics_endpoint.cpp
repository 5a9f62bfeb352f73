// --metrics-listen and `ferry-ctl metrics` against the real server with a busy pool: promtool and the
// prometheus_client parsers accept what curl and ferry-ctl get; refusals are clear 4xx replies; no request,
// however broken or slow, disturbs the file service, and the endpoint leaks no descriptor.
#include "admintestkit.h"
#include "metricscheck.h"

#include <QStandardPaths>
#include <QTcpSocket>
#include <QtTest>

using namespace opstest;
using namespace ferrytest;

namespace {
constexpr uint64_t BigSize = 24 * 1024 * 1024;

QByteArray body(const QByteArray &reply)
{
    const qsizetype end = reply.indexOf("\r\n\r\n");
    return end < 0 ? QByteArray() : reply.mid(end + 4);
}

QByteArray statusLine(const QByteArray &reply) { return reply.left(reply.indexOf("\r\n")); }

// curl as an operator would run it; stdout is the body, -w appends the content type on a last line.
ToolResult curl(const QString &address, const QStringList &extra = {})
{
    const QString program = QStandardPaths::findExecutable(QStringLiteral("curl"));
    if (program.isEmpty())
        return {-1, "curl is not installed (run scripts/bootstrap)"};
    QStringList args = {QStringLiteral("-sS"), QStringLiteral("--max-time"), QStringLiteral("10"),
                        QStringLiteral("-w"), QStringLiteral("\n%{content_type}")};
    return runTool(program, args + extra + QStringList{QStringLiteral("http://%1/metrics").arg(address)}, {});
}

// Splits curl's output into the body and the content type that -w appended.
std::pair<QByteArray, QByteArray> bodyAndType(const QByteArray &out)
{
    const qsizetype last = out.lastIndexOf('\n');
    return {out.left(last), out.mid(last + 1)};
}
} // namespace

class TestMetricsEndpoint : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void judgesAcceptABusyPool();
    void refusalsAreClear();
    void slowAndFloodingClientsDisturbNothing();

private:
    TestTree m_tree;
};

void TestMetricsEndpoint::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("big.bin"), BigSize, 7).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("small.bin"), 4096, 8).isEmpty());
}

void TestMetricsEndpoint::judgesAcceptABusyPool()
{
    AdminTestServer server(m_tree.root(), {"--workers", "3", "--metrics-listen", "127.0.0.1:0"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    const QString address = metricsAddress(server.process());
    QVERIFY2(!address.isEmpty(), server.process().stderrText().constData());
    // Two clients ask for the big file and read nothing: their workers stay busy sending.
    TestClient first(10000), second(10000);
    for (TestClient *client : {&first, &second}) {
        QVERIFY(client->open(server.process().host(), server.process().port()).ok());
        client->send(proto::GetRequest{"big.bin", 0, proto::ToEnd});
    }
    const auto busy = [](const ferry::admin::Json &status) { return intAt(status, {"pool", "busy"}); };
    QCOMPARE(busy(awaitStatus(server, [&](const ferry::admin::Json &s) { return busy(s) == 2; }, 15000)), int64_t(2));

    auto [prometheus, textType] = bodyAndType(curl(address).out);
    QCOMPARE(textType, QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    QVERIFY(prometheus.contains("ferry_worker_state{slot=\"0\",state=\"sending\"}"));
    QCOMPARE(promtoolComplaint(prometheus), QString());
    QCOMPARE(parserComplaint(prometheus, "prometheus"), QString());

    // Prometheus's own Accept header gets OpenMetrics.
    const QString accept = QStringLiteral("Accept: application/openmetrics-text;version=1.0.0,"
                                          "text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
    auto [open, openType] = bodyAndType(curl(address, {QStringLiteral("-H"), accept}).out);
    QCOMPARE(openType, QByteArray("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    QVERIFY(open.endsWith("# EOF\n"));
    QCOMPARE(parserComplaint(open, "openmetrics"), QString());
    // The judges can refuse: each format fails the other's parser.
    QVERIFY(!parserComplaint(prometheus, "openmetrics").isEmpty());
    QVERIFY(!promtoolComplaint(open).isEmpty());

    // ferry-ctl gives the same text on the admin socket (the node_exporter textfile route).
    CtlResult ctl = runCtl(server.socketPath(), {"metrics", "--format", "prometheus"});
    QCOMPARE(ctl.exitCode, 0);
    QCOMPARE(promtoolComplaint(ctl.out), QString());
    ctl = runCtl(server.socketPath(), {"metrics", "--format", "openmetrics"});
    QCOMPARE(ctl.exitCode, 0);
    QCOMPARE(parserComplaint(ctl.out, "openmetrics"), QString());
    QCOMPARE(runCtl(server.socketPath(), {"metrics", "--format", "json"}).exitCode, 2);
}

void TestMetricsEndpoint::refusalsAreClear()
{
    AdminTestServer server(m_tree.root(), {"--workers", "1", "--metrics-listen", "127.0.0.1:0"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    const QString address = metricsAddress(server.process());
    QVERIFY(!address.isEmpty());
    struct Case {
        QByteArray request, status;
    };
    const QList<Case> cases = {
        {"POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 405 Method Not Allowed"},
        {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
        {"GET /metrics/../etc/passwd HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
        {"hello there\r\n", "HTTP/1.1 400 Bad Request"},
        {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/1.1 400 Bad Request"},
        {QByteArray("\xf7\x01\x02\x03\n", 5), "HTTP/1.1 400 Bad Request"},
        {"GET /metrics HTTP/1.1\r\n" + QByteArray("X: ").append(QByteArray(9000, 'a')),
         "HTTP/1.1 431 Request Header Fields Too Large"},
    };
    for (const Case &c : cases) {
        const QByteArray reply = exchange(address, c.request);
        QCOMPARE(statusLine(reply), c.status);
        QVERIFY2(body(reply).endsWith(".\n") && body(reply).count('\n') == 1, reply.constData()); // one sentence
        if (c.status.contains("405"))
            QVERIFY(reply.contains("\r\nAllow: GET\r\n"));
    }
    const QByteArray ok = exchange(address, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    QCOMPARE(statusLine(ok), QByteArray("HTTP/1.1 200 OK"));
    QVERIFY(ok.contains("\r\nContent-Length: " + QByteArray::number(body(ok).size()) + "\r\n"));
}

void TestMetricsEndpoint::slowAndFloodingClientsDisturbNothing()
{
    AdminTestServer server(m_tree.root(), {"--workers", "1", "--metrics-listen", "127.0.0.1:0"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    const QString address = metricsAddress(server.process());
    QVERIFY(!address.isEmpty());
    const int baselineFds = ServerProcess::openFdCount(server.process().pid());
    QVERIFY(!curl(address).out.isEmpty());

    // A client that sends half a request and waits, and a flood of silent ones well past the client cap.
    QTcpSocket slow;
    slow.connectToHost(QStringLiteral("127.0.0.1"), address.section(QLatin1Char(':'), -1).toUShort());
    QVERIFY(slow.waitForConnected(5000));
    slow.write("GET /metrics HTTP/1.1\r\n");
    QElapsedTimer held;
    held.start();
    std::vector<std::unique_ptr<QTcpSocket>> flood;
    for (int i = 0; i < 40; ++i) {
        flood.push_back(std::make_unique<QTcpSocket>());
        flood.back()->connectToHost(QStringLiteral("127.0.0.1"), slow.peerPort());
        QVERIFY(flood.back()->waitForConnected(5000));
    }
    // The file service and the admin plane answer at once meanwhile.
    {
        TestClient client(10000);
        QVERIFY(client.open(server.process().host(), server.process().port()).ok());
        QVERIFY(client.get("small.bin").status.ok());
        // Before the half request's 5 s are up: the download did not wait behind it.
        QVERIFY(!slow.waitForReadyRead(0)); // takes in whatever has arrived for it
        QCOMPARE(slow.state(), QAbstractSocket::ConnectedState);
        QCOMPARE(slow.bytesAvailable(), qint64(0));
    } // closed, so the parent does not hold it parked when the descriptors are counted
    QCOMPARE(intAt(server.status(), {"pool", "total"}), 1);

    // The half request is answered 408 when its time is up (5 s), not before and not never.
    QTRY_VERIFY_WITH_TIMEOUT(slow.bytesAvailable() > 0 || slow.state() != QAbstractSocket::ConnectedState, 10000);
    QVERIFY2(held.elapsed() >= 4500, qPrintable(QString::number(held.elapsed())));
    slow.waitForReadyRead(1000);
    QCOMPARE(statusLine(slow.readAll()), QByteArray("HTTP/1.1 408 Request Timeout"));
    flood.clear();
    slow.close();
    // Every descriptor the endpoint took is given back, and it serves again.
    QTRY_COMPARE_WITH_TIMEOUT(ServerProcess::openFdCount(server.process().pid()), baselineFds, 10000);
    QVERIFY(curl(address).out.contains("ferry_build_info"));
}

QTEST_GUILESS_MAIN(TestMetricsEndpoint)
#include "tst_metrics_endpoint.moc"
