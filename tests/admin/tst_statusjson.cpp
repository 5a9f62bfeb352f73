// Reading a STATUS object back (adminproto's statusFromJson, which Ferry Admin uses): the inverse of what
// the server writes, and tolerant of what a newer or broken server might send.
#include "adminproto/status.h"

#include <QtTest>

using namespace ferry::admin;

class TestStatusJson : public QObject {
    Q_OBJECT
private slots:
    void roundTripEveryField();
    void roundTripOfTheFixture();
    void notAStatus_data();
    void notAStatus();
    void wrongTypesKeepDefaults();
    void missingMeasuresAreUnknown();
    void workersComeBackBySlot();
};

namespace {

// Every field differs from its default, so a field fromJson forgets shows up as a difference.
StatusSnapshot everyFieldSet()
{
    StatusSnapshot s;
    s.nowMs = 100'000;
    s.server = {"0.2.0", 42, 40'000, 3, "127.0.0.1:4646", "/srv", "/run/a.sock", "draining", "ABCD-EFGH", "allow"};
    s.pool.total = 1, s.pool.idle = 2, s.pool.busy = 3, s.pool.starting = 4, s.pool.stopping = 5;
    s.pool.capacity = 6, s.pool.maxWorkersReached = 7, s.pool.pending = 8, s.pool.pendingMax = 9;
    s.pool.pendingLimit = 10, s.pool.parked = 11, s.pool.accepted = 12, s.pool.rejectedBusy = 13;
    s.pool.bytesSent = 1LL << 40, s.pool.throughputBps = 15, s.pool.breakerState = "tripped";
    s.pool.recentCrashes = 16, s.pool.backoffMs = 17, s.pool.limits = {18, 19, 20, 21, 22};
    s.pool.ratePerConnection = 23, s.pool.rateGlobal = 24, s.pool.ratePerIp = 37;
    WorkerInfo w;
    w.slot = 7, w.pid = 25, w.generation = 26, w.state = "sending", w.peer = "[::1]:5000", w.connection = 27;
    w.path = "a \"b\"/Überweisung.pdf", w.security = "TLSv1.3 TLS_AES_128_GCM_SHA256", w.bytesSent = 28;
    w.bytesTotal = 29, w.throughputBps = 30, w.transferStartMs = 31, w.lastProgressMs = 32, w.requests = 33;
    w.openFds = 34, w.rssBytes = 35, w.cpuMs = 36, w.lastExit = "killed by admin";
    s.workers.push_back(w);
    return s;
}

Json parsed(const char *text)
{
    return parseJson(text).value.value_or(Json());
}

} // namespace

void TestStatusJson::roundTripEveryField()
{
    const Json written = toJson(everyFieldSet());
    const std::optional<StatusSnapshot> back = statusFromJson(written);
    QVERIFY(back);
    QCOMPARE(dumpJson(toJson(*back)), dumpJson(written));
    QCOMPARE(back->workers.at(0).path, std::string("a \"b\"/Überweisung.pdf"));
    QCOMPARE(uptimeSeconds(*back), int64_t(60));
}

void TestStatusJson::roundTripOfTheFixture()
{
    // The fixture ferry-ctl's renderer reads: a status as the server writes it, three workers.
    QFile file(QStringLiteral(FERRY_SOURCE_DIR "/tests/admin/data/status.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const JsonParseResult fixture = parseJson(file.readAll().toStdString());
    QVERIFY(fixture.value);
    const std::optional<StatusSnapshot> back = statusFromJson(*fixture.value);
    QVERIFY(back);
    QCOMPARE(int(back->workers.size()), 3);
    QCOMPARE(back->server.listen, std::string("127.0.0.1:4646"));
    // The fixture has no "security", "throughput_bps", "token" or "token_label" per worker (an older
    // server's status), and an uptime_s that is not now_ms - started_ms; the rest is written back the same.
    Json expected = *fixture.value;
    expected["server"].erase("uptime_s");
    Json again = toJson(*back);
    again["server"].erase("uptime_s");
    again["pool"]["rate_limit"].erase("per_ip"); // nor a per-address rate
    for (Json &w : again["workers"]) {
        QCOMPARE(w["throughput_bps"].get<int64_t>(), int64_t(-1));
        QCOMPARE(w["token"].get<std::string>(), std::string());
        for (const char *added : {"security", "throughput_bps", "token", "token_label"})
            w.erase(added);
    }
    QCOMPARE(dumpJson(again), dumpJson(expected));
}

void TestStatusJson::notAStatus_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("array") << QByteArray("[1,2]");
    QTest::newRow("string") << QByteArray("\"status\"");
    QTest::newRow("no pool") << QByteArray(R"({"now_ms":1,"server":{}})");
    QTest::newRow("no server") << QByteArray(R"({"now_ms":1,"pool":{}})");
    QTest::newRow("server not an object") << QByteArray(R"({"server":1,"pool":{}})");
}

void TestStatusJson::notAStatus()
{
    QFETCH(QByteArray, text);
    QVERIFY(!statusFromJson(parsed(text.constData())));
}

void TestStatusJson::wrongTypesKeepDefaults()
{
    const std::optional<StatusSnapshot> s = statusFromJson(parsed(
        R"({"now_ms":"soon","server":{"pid":"42","listen":7,"generation":2.0},
            "pool":{"busy":1.5,"breaker":"closed","limits":[1],"rate_limit":{"global":true},"future":{"x":1}},
            "workers":[3,{"slot":"1","state":["idle"],"open_fds":null},{"slot":2}]})"));
    QVERIFY(s);
    QCOMPARE(s->nowMs, int64_t(0));
    QCOMPARE(s->server.pid, int64_t(0));
    QCOMPARE(s->server.listen, std::string());
    QCOMPARE(s->server.generation, int64_t(2)); // an integral double is an integer, as everywhere in §2
    QCOMPARE(s->pool.busy, int64_t(0));
    QCOMPARE(s->pool.breakerState, std::string());
    QCOMPARE(s->pool.limits.maxWorkers, int64_t(0));
    QCOMPARE(s->pool.rateGlobal, int64_t(0));
    QCOMPARE(int(s->workers.size()), 3);
    QCOMPARE(s->workers.at(1).state, std::string());
    QCOMPARE(s->workers.at(1).openFds, int64_t(-1));
    QCOMPARE(s->workers.at(2).slot, int64_t(2));
}

void TestStatusJson::missingMeasuresAreUnknown()
{
    const WorkerInfo w = workerFromJson(parsed(R"({"slot":1,"state":"idle"})"));
    QCOMPARE(w.throughputBps, int64_t(-1));
    QCOMPARE(w.openFds, int64_t(-1));
    QCOMPARE(w.rssBytes, int64_t(-1));
    QCOMPARE(w.cpuMs, int64_t(-1));
    QCOMPARE(workerFromJson(parsed(R"({"throughput_bps":0})")).throughputBps, int64_t(0)); // frozen, not unknown
}

void TestStatusJson::workersComeBackBySlot()
{
    const std::optional<StatusSnapshot> s = statusFromJson(parsed(
        R"({"server":{},"pool":{},"workers":[{"slot":5,"pid":1},{"slot":0,"pid":2},{"slot":5,"pid":3}]})"));
    QVERIFY(s);
    QCOMPARE(int(s->workers.size()), 3);
    QCOMPARE(s->workers.at(0).slot, int64_t(0));
    QCOMPARE(s->workers.at(1).pid, int64_t(1)); // stable: equal slots keep their order
    QCOMPARE(s->workers.at(2).pid, int64_t(3));
}

QTEST_GUILESS_MAIN(TestStatusJson)
#include "tst_statusjson.moc"
