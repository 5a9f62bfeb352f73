// The admin protocol codec: line framing, request validation, reply shapes, the history ring.
#include "adminproto/history.h"
#include "adminproto/protocol.h"
#include "adminproto/status.h"

#include <QtTest>

using namespace ferry::admin;

class TestAdminProtocol : public QObject {
    Q_OBJECT
private slots:
    void requests_data();
    void requests();
    void lineBuffer();
    void lineTooLong();
    void replies();
    void intArgs_data();
    void intArgs();
    void historyRing();
    void statusJson();
    void procInfoOfSelf();
};

void TestAdminProtocol::requests_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("error"); // empty: a valid request
    QTest::addColumn<QString>("cmd");
    QTest::addColumn<bool>("closes");
    QTest::newRow("status") << QByteArray(R"({"v":1,"id":1,"cmd":"status"})") << "" << "status" << false;
    QTest::newRow("no v means 1") << QByteArray(R"({"cmd":"drain"})") << "" << "drain" << false;
    QTest::newRow("string id") << QByteArray(R"({"id":"x","cmd":"reload"})") << "" << "reload" << false;
    QTest::newRow("not json") << QByteArray("{this is not json") << "malformed" << "" << true;
    QTest::newRow("array") << QByteArray("[1,2]") << "malformed" << "" << true;
    QTest::newRow("string") << QByteArray("\"status\"") << "malformed" << "" << true;
    QTest::newRow("empty line") << QByteArray("") << "malformed" << "" << true;
    QTest::newRow("v 2") << QByteArray(R"({"v":2,"cmd":"status"})") << "unsupported_version" << "status" << false;
    QTest::newRow("v string") << QByteArray(R"({"v":"1","cmd":"status"})") << "unsupported_version" << "status"
                              << false;
    QTest::newRow("no cmd") << QByteArray(R"({"v":1})") << "unknown_command" << "" << false;
    QTest::newRow("cmd not string") << QByteArray(R"({"v":1,"cmd":5})") << "unknown_command" << "" << false;
}

void TestAdminProtocol::requests()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, error);
    QFETCH(QString, cmd);
    QFETCH(bool, closes);
    auto result = parseRequest(line.toStdString());
    if (error.isEmpty()) {
        QVERIFY(std::holds_alternative<Request>(result));
        QCOMPARE(QString::fromStdString(std::get<Request>(result).cmd), cmd);
        return;
    }
    QVERIFY(std::holds_alternative<RequestError>(result));
    const auto &e = std::get<RequestError>(result);
    QCOMPARE(QString(errorCodeName(e.code)), error);
    QCOMPARE(QString::fromStdString(e.cmd), cmd);
    QCOMPARE(closesConnection(e.code), closes);
    // The error reply is one valid JSON line that says ok:false.
    const std::string reply = toLine(errorReply(e));
    QCOMPARE(reply.back(), '\n');
    QCOMPARE(std::count(reply.begin(), reply.end(), '\n'), 1);
    auto parsed = parseJson(reply);
    QVERIFY(parsed.value && parsed.value->at("ok") == false);
    QCOMPARE(QString::fromStdString(parsed.value->at("error").at("code").get<std::string>()), error);
}

void TestAdminProtocol::lineBuffer()
{
    LineBuffer buffer;
    std::string line;
    QCOMPARE(buffer.next(line), LineBuffer::Next::NeedMore);
    // Fed one byte at a time, then several lines in one chunk.
    for (char c : std::string("{\"cmd\":\"status\"}\r\n"))
        buffer.append(std::string_view(&c, 1));
    QCOMPARE(buffer.next(line), LineBuffer::Next::Line);
    QCOMPARE(line, std::string("{\"cmd\":\"status\"}"));
    buffer.append("a\nb\n\nc");
    QCOMPARE(buffer.next(line), LineBuffer::Next::Line);
    QCOMPARE(line, std::string("a"));
    QCOMPARE(buffer.next(line), LineBuffer::Next::Line);
    QCOMPARE(line, std::string("b"));
    QCOMPARE(buffer.next(line), LineBuffer::Next::Line);
    QCOMPARE(line, std::string(""));
    QCOMPARE(buffer.next(line), LineBuffer::Next::NeedMore);
    QCOMPARE(int(buffer.buffered()), 1);
    buffer.append("\n");
    QCOMPARE(buffer.next(line), LineBuffer::Next::Line);
    QCOMPARE(line, std::string("c"));
}

void TestAdminProtocol::lineTooLong()
{
    LineBuffer buffer(16);
    std::string line;
    buffer.append(std::string(16, 'x') + "\n");
    QCOMPARE(buffer.next(line), LineBuffer::Next::Line); // exactly the limit is fine
    buffer.append(std::string(17, 'x'));
    QCOMPARE(buffer.next(line), LineBuffer::Next::TooLong); // known before any newline arrives
    LineBuffer second(16);
    second.append(std::string(40, 'y') + "\n");
    QCOMPARE(second.next(line), LineBuffer::Next::TooLong);
}

void TestAdminProtocol::replies()
{
    auto request = std::get<Request>(parseRequest(R"({"v":1,"id":{"bad":1},"cmd":"status"})"));
    QVERIFY(!request.hasId); // an object id is not echoed: ids are scalars
    request = std::get<Request>(parseRequest(R"({"v":1,"id":"abc","cmd":"drain"})"));
    const Json ok = okReply(request);
    QCOMPARE(ok.dump(), std::string(R"({"v":1,"id":"abc","ok":true,"cmd":"drain"})"));
    const Json err = errorReply(request, ErrorCode::NotFound, "no worker in slot 9");
    QCOMPARE(err.dump(),
             std::string(R"({"v":1,"id":"abc","ok":false,"cmd":"drain",)"
                         R"("error":{"code":"not_found","message":"no worker in slot 9"}})"));
    QCOMPARE(ferry::admin::event("hello").dump(), std::string(R"({"v":1,"event":"hello"})"));
}

void TestAdminProtocol::intArgs_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<qlonglong>("value");
    QTest::newRow("absent") << QByteArray(R"({})") << int(ArgStatus::Absent) << 5LL;
    QTest::newRow("null is absent") << QByteArray(R"({"n":null})") << int(ArgStatus::Absent) << 5LL;
    QTest::newRow("ok") << QByteArray(R"({"n":7})") << int(ArgStatus::Ok) << 7LL;
    QTest::newRow("integral double") << QByteArray(R"({"n":8.0})") << int(ArgStatus::Ok) << 8LL;
    QTest::newRow("fraction") << QByteArray(R"({"n":1.5})") << int(ArgStatus::Invalid) << 5LL;
    QTest::newRow("below") << QByteArray(R"({"n":-1})") << int(ArgStatus::Invalid) << 5LL;
    QTest::newRow("above") << QByteArray(R"({"n":101})") << int(ArgStatus::Invalid) << 5LL;
    QTest::newRow("string") << QByteArray(R"({"n":"7"})") << int(ArgStatus::Invalid) << 5LL;
    QTest::newRow("bool") << QByteArray(R"({"n":true})") << int(ArgStatus::Invalid) << 5LL;
}

void TestAdminProtocol::intArgs()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(qlonglong, value);
    int64_t out = 5;
    std::string error;
    const Json json = *parseJson(body.toStdString()).value;
    QCOMPARE(int(intArg(json, "n", 0, 100, out, error)), status);
    QCOMPARE(qlonglong(out), value);
    QCOMPARE(error.empty(), status != int(ArgStatus::Invalid));
}

void TestAdminProtocol::historyRing()
{
    HistoryRing ring;
    QCOMPARE(ring.lastThroughput(), 0);
    ring.record(1000, {0, 0, 0}, 0, 0, 0);
    ring.record(2000, {1'000'000, 3, 1}, 2, 1, 4);
    ring.record(4000, {3'000'000, 3, 1}, 1, 0, 4); // a late timer: 2 MB over 2 s is 1 MB/s
    QCOMPARE(ring.lastThroughput(), 1'000'000);
    auto samples = ring.samples();
    QCOMPARE(int(samples.size()), 3);
    QCOMPARE(samples[1].throughputBps, 1'000'000);
    QCOMPARE(samples[1].accepted, 3);
    QCOMPARE(samples[1].rejected, 1);
    QCOMPARE(samples[1].parked, 4);
    QCOMPARE(samples[2].accepted, 0);
    for (int i = 0; i < 1000; ++i)
        ring.record(5000 + i * 1000, {3'000'000, 3, 1}, 0, 0, 0);
    QCOMPARE(int(ring.size()), int(HistoryRing::Capacity)); // bounded: 10 minutes
    samples = ring.samples();
    QCOMPARE(samples.front().tMs, 5000 + 400 * 1000); // oldest first
    QCOMPARE(samples.back().tMs, 5000 + 999 * 1000);
    QCOMPARE(int(ring.toJson().size()), 600);
}

void TestAdminProtocol::statusJson()
{
    StatusSnapshot s;
    s.nowMs = 10'000;
    s.server.startedMs = 4'000;
    s.server.version = "0.1.0";
    s.pool.limits.maxWorkers = 16;
    WorkerInfo w;
    w.slot = 3;
    w.state = "sending";
    w.path = "a/b.iso";
    w.bytesSent = 42;
    s.workers.push_back(w);
    const Json j = toJson(s);
    QCOMPARE(j.at("server").at("uptime_s").get<int64_t>(), 6);
    QCOMPARE(j.at("pool").at("limits").at("max_workers").get<int64_t>(), 16);
    QCOMPARE(j.at("pool").at("breaker").at("state").get<std::string>(), std::string("closed"));
    const Json &worker = j.at("workers").at(0);
    QCOMPARE(worker.at("slot").get<int64_t>(), 3);
    QCOMPARE(worker.at("path").get<std::string>(), std::string("a/b.iso"));
    QCOMPARE(worker.at("bytes_sent").get<int64_t>(), 42);
    // Every field that docs/ADMIN.md lists for a worker is present.
    for (const char *key : {"slot", "pid", "generation", "state", "peer", "connection", "path", "bytes_sent",
                            "bytes_total", "transfer_start_ms", "last_progress_ms", "requests", "open_fds",
                            "rss_bytes", "cpu_ms", "last_exit"})
        QVERIFY2(worker.contains(key), key);
}

void TestAdminProtocol::procInfoOfSelf()
{
    const ProcInfo info = readProcInfo(QCoreApplication::applicationPid());
    QVERIFY(info.openFds >= 3);
    QVERIFY(info.rssBytes > 0);
    QVERIFY(info.cpuMs >= 0);
    QCOMPARE(readProcInfo(0).openFds, -1);
}

QTEST_GUILESS_MAIN(TestAdminProtocol)
#include "tst_adminprotocol.moc"
