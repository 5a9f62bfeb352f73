// The admin socket against the real server: what status shows during a transfer, subscriptions,
// ferry-ctl's outputs and exit codes, the peer check, socket claiming, and hostile input.
#include "admintestkit.h"
#include "polling.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <algorithm>
#include <sys/stat.h>

using ferry::admin::Json;
using namespace ferrytest;

namespace {
constexpr uint64_t SlowSize = 3 * 1024 * 1024;
constexpr char SlowRate[] = "1048576"; // 1 MiB/s: the download takes about 3 s

// The id the server gave the connection whose client end is bound to `localPort`, from its debug log
// ("connection 7 from 127.0.0.1:40112 accepted", written before the WELCOME); status lists ids only
// for connections in a worker. 0 if not found.
int64_t connectionIdOf(const ServerProcess &server, quint16 localPort)
{
    const QRegularExpression accepted(
        QStringLiteral("connection (\\d+) from 127\\.0\\.0\\.1:%1 accepted").arg(localPort));
    const QRegularExpressionMatch m = accepted.match(QString::fromUtf8(server.stderrText()));
    return m.hasMatch() ? m.captured(1).toLongLong() : 0;
}
} // namespace

class TestAdminSocket : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void statusDuringRateLimitedDownload();
    void ctlOutputs();
    void commandsDrainRateLimitDisconnect();
    void drainAnswersNewClientsAtOnce();
    void disconnectClosesParkedAndPendingConnections();
    void hostileInput_data();
    void hostileInput();
    void otherUidRefused();
    void socketClaiming();

private:
    TestTree m_tree;
    std::unique_ptr<AdminTestServer> m_shared; // hostileInput's rows share one server: it must survive them all
};

void TestAdminSocket::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("slow.bin"), SlowSize, 7).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("small.bin"), 64 * 1024, 8).isEmpty());
}

void TestAdminSocket::statusDuringRateLimitedDownload()
{
    AdminTestServer server(m_tree.root(), {"--workers", "2", "--rate-limit", SlowRate});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    QCOMPARE(textAt(admin->greeting(), {"version"}).empty(), false);

    Download download(server.process(), "slow.bin", 7, SlowSize);
    const Json first = pollUntil([&] { return workerServing(server.status(), "slow.bin"); },
                                 [](const Json &w) { return !w.is_null() && intAt(w, {"bytes_sent"}) > 0; }, 10000);
    QVERIFY(!first.is_null() && intAt(first, {"bytes_sent"}) > 0);
    QCOMPARE(textAt(first, {"state"}), std::string("sending"));
    QCOMPARE(intAt(first, {"bytes_total"}), int64_t(SlowSize));
    QVERIFY(textAt(first, {"peer"}).rfind("127.0.0.1:", 0) == 0);
    QVERIFY(intAt(first, {"connection"}) > 0);
    QVERIFY(intAt(first, {"open_fds"}) > 0);
    QVERIFY(intAt(first, {"rss_bytes"}) > 0);
    // Bytes sent grow while the transfer runs.
    const int64_t firstSent = intAt(first, {"bytes_sent"});
    const Json later = pollUntil(
        [&] { return workerServing(server.status(), "slow.bin"); },
        [firstSent](const Json &w) { return !w.is_null() && intAt(w, {"bytes_sent"}) > firstSent; }, 10000);
    QVERIFY(!later.is_null() && intAt(later, {"bytes_sent"}) > firstSent);
    QCOMPARE(intAt(later, {"slot"}), intAt(first, {"slot"}));

    // A subscription at 250 ms: pushes arrive numbered, spaced, each a full status.
    auto reply = admin->call("subscribe", Json{{"interval_ms", 250}});
    QVERIFY(reply && (at(*reply, {"ok"}) == true));
    QCOMPARE(intAt(*reply, {"interval_ms"}), 250);
    int64_t lastSeq = 0, lastNow = 0;
    for (int i = 0; i < 3; ++i) {
        auto push = admin->nextEvent(5000);
        QVERIFY(push);
        QCOMPARE(textAt(*push, {"event"}), std::string("status"));
        QCOMPARE(intAt(*push, {"seq"}), lastSeq + 1);
        lastSeq = intAt(*push, {"seq"});
        const int64_t now = intAt(*push, {"status", "now_ms"});
        if (i > 0)
            QVERIFY2(now - lastNow >= 100, "pushes follow the interval, not back to back");
        lastNow = now;
        QVERIFY(intAt(*push, {"status", "pool", "total"}) >= 1);
    }
    reply = admin->call("unsubscribe");
    QVERIFY(reply && (at(*reply, {"ok"}) == true));
    download.join();
    QVERIFY2(download.intact(), qPrintable(download.describe()));
    // The history ring saw the traffic.
    const auto allSent = [](const Json &s) { return intAt(s, {"pool", "bytes_sent"}) >= int64_t(SlowSize); };
    QVERIFY(allSent(awaitStatus(server, allSent, 5000)));
    reply = admin->call("history");
    QVERIFY(reply && (at(*reply, {"ok"}) == true));
    int64_t sum = 0;
    for (const Json &sample : at(*reply, {"samples"}))
        sum += intAt(sample, {"throughput_bps"});
    QVERIFY2(sum > 0, "history records throughput");
}

void TestAdminSocket::ctlOutputs()
{
    AdminTestServer server(m_tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    const auto bothIdle = [](const Json &s) { return intAt(s, {"pool", "idle"}) == 2; }; // both past "starting"
    QVERIFY(bothIdle(awaitStatus(server, bothIdle, 10000)));
    CtlResult r = runCtl(server.socketPath(), {"status"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("Scoreboard: __"), r.out.constData());
    QVERIFY(r.out.contains("SLOT"));
    r = runCtl(server.socketPath(), {"status", "--json"});
    QCOMPARE(r.exitCode, 0);
    auto parsed = ferry::admin::parseJson(r.out.trimmed().toStdString());
    QVERIFY(parsed.value);
    QCOMPARE(intAt(*parsed.value, {"pool", "total"}), 2);
    r = runCtl(server.socketPath(), {"metrics"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("ferry_workers{state=\"idle\"} 2"));
    QVERIFY(r.out.contains("ferry_worker_requests_total{slot=\"0\"}"));
    QVERIFY(!r.out.contains("# EOF")); // Prometheus text by default; OpenMetrics with --format (tests/ops)
    r = runCtl(server.socketPath(), {"history"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("THROUGHPUT"));
    r = runCtl(server.socketPath(), {"--version"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith("ferry-ctl ") && r.out.contains("(admin protocol 1)"), r.out.constData());
    r = runCtl(server.socketPath(), {"watch", "--interval", "200", "--count", "2"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.count("Scoreboard:"), 2);
    // A script that writes its requests and half-closes (echo … | socat) still gets every reply.
    auto admin = server.connect();
    QVERIFY(admin);
    QVERIFY(admin->sendRaw(QByteArray("{\"id\":1,\"cmd\":\"status\"}\n").repeated(5)));
    admin->shutdownWrite();
    for (int i = 0; i < 5; ++i) {
        auto reply = admin->next(5000);
        QVERIFY(reply && (at(*reply, {"ok"}) == true));
    }
    QVERIFY(admin->waitForClose(5000));
    r = runCtl(server.socketPath(), {"kill-worker", "99"});
    QCOMPARE(r.exitCode, 1); // refused by the server: no such worker
    QVERIFY(r.err.contains("not_found"));
    r = runCtl(server.socketPath(), {"kill-worker"});
    QCOMPARE(r.exitCode, 2);
}

void TestAdminSocket::commandsDrainRateLimitDisconnect()
{
    AdminTestServer server(m_tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    auto reply = admin->call("rate_limit", Json{{"per_connection", 1048576}});
    QVERIFY(reply && (at(*reply, {"ok"}) == true));
    QCOMPARE(intAt(server.status(), {"pool", "rate_limit", "per_connection"}), 1048576);

    Download download(server.process(), "slow.bin", 7, SlowSize);
    const Json worker = pollUntil([&] { return workerServing(server.status(), "slow.bin"); },
                                  [](const Json &w) { return !w.is_null() && intAt(w, {"connection"}) > 0; }, 10000);
    QVERIFY(!worker.is_null() && intAt(worker, {"connection"}) > 0);
    reply = admin->call("disconnect", Json{{"connection", intAt(worker, {"connection"})}});
    QVERIFY2(reply && (at(*reply, {"ok"}) == true), reply ? reply->dump().c_str() : "no reply");
    download.join();
    QVERIFY2(!download.status().ok() && download.received() < SlowSize, qPrintable(download.describe()));
    reply = admin->call("disconnect", Json{{"connection", 999999}});
    QCOMPARE(textAt(*reply, {"error", "code"}), std::string("not_found"));

    reply = admin->call("drain");
    QCOMPARE(textAt(*reply, {"state"}), std::string("draining"));
    QCOMPARE(textAt(server.status(), {"server", "state"}), std::string("draining"));
    reply = admin->call("resume");
    QCOMPARE(textAt(*reply, {"state"}), std::string("accepting"));
    TestClient client(10000);
    QVERIFY(client.open(server.process().host(), server.process().port()).ok());
    QVERIFY(client.get("small.bin").status.ok());
    // Every command is in the audit log with the caller's uid.
    const QByteArray log = server.process().stderrText();
    QVERIFY2(log.contains("cmd=rate_limit args={\"per_connection\":1048576} result=ok"), log.constData());
    QVERIFY(log.contains("cmd=disconnect"));
    QVERIFY(log.contains("uid=" + QByteArray::number(geteuid()) + " "));
}

// A new client of a draining server used to wait in the kernel's backlog with no answer until its own
// timeout (30 s for Ferry clients); now it gets BUSY with a retry hint at once, and no WELCOME. A client
// that was connected before the drain is still served, and after resume new ones are too.
void TestAdminSocket::drainAnswersNewClientsAtOnce()
{
    AdminTestServer server(m_tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    TestClient before(10000);
    QVERIFY(before.open(server.process().host(), server.process().port()).ok());
    auto reply = admin->call("drain");
    QVERIFY(reply && (at(*reply, {"ok"}) == true));

    for (int i = 0; i < 3; ++i) { // every new client, not only the first
        TestClient probe(5000); // a sixth of the 30 s it used to wait: a BUSY, not the client's timeout
        const Status s = probe.open(server.process().host(), server.process().port());
        QVERIFY2(s.outcome == Outcome::Busy, qPrintable(s.toString())); // BUSY in place of WELCOME
        QVERIFY(s.retryAfterMs > 0);
        QVERIFY2(s.message.find("draining") != std::string::npos, s.message.c_str());
    }
    QVERIFY2(before.get("small.bin").status.ok(), "a connection from before the drain is still served");
    QCOMPARE(intAt(server.status(), {"pool", "rejected_busy"}), int64_t(3));

    reply = admin->call("resume");
    QVERIFY(reply && (at(*reply, {"ok"}) == true));
    TestClient after(10000);
    QVERIFY(after.open(server.process().host(), server.process().port()).ok());
    QVERIFY(after.get("small.bin").status.ok());
}

// disconnect reaches connections no worker holds (docs/ADMIN.md §5.6): a parked one and one whose
// request waits for the only worker are closed by the parent, and the transfer in that worker goes on.
void TestAdminSocket::disconnectClosesParkedAndPendingConnections()
{
    AdminTestServer server(m_tree.root(), {"--workers", "1", "--rate-limit", SlowRate, "--log-level", "debug"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    const ServerProcess &process = server.process();
    auto admin = server.connect();
    QVERIFY(admin);
    const auto pool = [&](const char *key) { return intAt(server.status(), {"pool", key}); };
    // The pool's `key` once it reads `want`, or as it was after 10 s (a status query per try).
    const auto awaitPool = [&](const char *key, int64_t want) {
        const auto reads = [&](const Json &status) { return intAt(status, {"pool", key}) == want; };
        return intAt(awaitStatus(server, reads, 10000), {"pool", key});
    };
    const auto disconnect = [&](int64_t id) {
        const auto reply = admin->call("disconnect", Json{{"connection", id}});
        return reply && (at(*reply, {"ok"}) == true) && intAt(*reply, {"connection"}) == id;
    };

    TestClient parked(10000);
    QVERIFY(parked.open(process.host(), process.port()).ok());
    QVERIFY(parked.stat("small.bin").ok());
    QCOMPARE(awaitPool("parked", 1), int64_t(1));
    const int64_t parkedId = connectionIdOf(process, parked.localPort());
    QVERIFY(parkedId > 0);
    QVERIFY(disconnect(parkedId));
    Status end = parked.waitForClose(nullptr, 5000);
    QVERIFY2(end.outcome == Outcome::Closed || end.outcome == Outcome::Reset, qPrintable(end.toString()));
    QCOMPARE(awaitPool("parked", 0), int64_t(0));

    TestClient queued(10000);
    QVERIFY(queued.open(process.host(), process.port()).ok());
    QVERIFY(queued.stat("small.bin").ok());
    QCOMPARE(awaitPool("parked", 1), int64_t(1));
    Download busy(process, "slow.bin", 7, SlowSize); // holds the only worker for about 3 s
    QVERIFY(!awaitWorkerServing(server, "slow.bin", 10000).is_null());
    QVERIFY(queued.send(proto::GetRequest{"small.bin", 0, proto::ToEnd}));
    QCOMPARE(awaitPool("pending", 1), int64_t(1));
    const int64_t queuedId = connectionIdOf(process, queued.localPort());
    QVERIFY(queuedId > 0);
    QVERIFY(disconnect(queuedId));
    std::vector<proto::Message> frames;
    end = queued.waitForClose(&frames, 5000);
    QVERIFY2(end.outcome == Outcome::Closed || end.outcome == Outcome::Reset, qPrintable(end.toString()));
    QVERIFY2(std::none_of(frames.begin(), frames.end(),
                          [](const proto::Message &m) { return std::holds_alternative<proto::Body>(m); }),
             "the disconnected request was served anyway");
    QCOMPARE(pool("pending"), int64_t(0));
    QVERIFY2(!busy.hasFinished(), "the transfer ended before the disconnect: the request was never pending");
    busy.join();
    QVERIFY2(busy.intact(), qPrintable(busy.describe()));
}

void TestAdminSocket::hostileInput_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("code");
    QTest::addColumn<bool>("closes");
    QTest::newRow("malformed json") << QByteArray("{this is not json\n") << "malformed" << true;
    QTest::newRow("not an object") << QByteArray("[\"status\"]\n") << "malformed" << true;
    QTest::newRow("binary garbage") << QByteArray("\x00\xff\xfe{{\n", 7) << "malformed" << true;
    QTest::newRow("unknown command") << QByteArray("{\"v\":1,\"cmd\":\"frobnicate\"}\n") << "unknown_command" << false;
    QTest::newRow("bad argument") << QByteArray("{\"cmd\":\"kill_worker\",\"slot\":\"x\"}\n") << "bad_argument"
                                  << false;
    QTest::newRow("wrong version") << QByteArray("{\"v\":9,\"cmd\":\"status\"}\n") << "unsupported_version" << false;
    QTest::newRow("10 MiB line") << QByteArray(10 * 1024 * 1024, 'x') << "line_too_long" << true;
}

void TestAdminSocket::hostileInput()
{
    QFETCH(QByteArray, input);
    QFETCH(QString, code);
    QFETCH(bool, closes);
    if (!m_shared) {
        m_shared = std::make_unique<AdminTestServer>(m_tree.root(), QStringList{"--workers", "1"});
        QVERIFY2(m_shared->start(), qPrintable(m_shared->process().diagnostics()));
    }
    AdminTestServer *server = m_shared.get();
    auto admin = server->connect();
    QVERIFY(admin);
    admin->sendRaw(input); // may fail half way once the server has had enough: that is the point
    auto reply = admin->next(10000);
    QVERIFY(reply);
    QCOMPARE((at(*reply, {"ok"}) == true), false);
    QCOMPARE(QString::fromStdString(textAt(*reply, {"error", "code"})), code);
    if (closes) {
        QVERIFY(admin->waitForClose(5000));
    } else {
        auto again = admin->call("status");
        QVERIFY(again && (at(*again, {"ok"}) == true));
    }
    // The server keeps serving admins and clients.
    QVERIFY(!server->status().is_null());
    TestClient client(10000);
    QVERIFY(client.open(server->process().host(), server->process().port()).ok());
    QVERIFY(client.get("small.bin").status.ok());
}

void TestAdminSocket::otherUidRefused()
{
    if (geteuid() != 0)
        QSKIP("needs root to run ferry-ctl as another user");
    AdminTestServer server(m_tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    // Let the file system allow the connect(), so that it is the server's SO_PEERCRED check that refuses.
    QCOMPARE(::chmod(QFile::encodeName(server.socketDir()).constData(), 0755), 0);
    QCOMPARE(::chmod(QFile::encodeName(server.socketPath()).constData(), 0666), 0);
    const QString ctl = copyCtlInto(server.socketDir()); // reachable by nobody wherever the build tree is
    QVERIFY(!ctl.isEmpty());
    const QStringList asNobody{"setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"};
    const CtlResult r = runCtl(server.socketPath(), {"status"}, asNobody, ctl);
    QCOMPARE(r.exitCode, 4);
    QVERIFY2(r.err.contains("permission denied"), r.err.constData());
    QTRY_VERIFY_WITH_TIMEOUT(server.process().stderrText().contains("uid=65534"), 5000);
    const QByteArray log = server.process().stderrText();
    QVERIFY2(log.contains("refused: permission_denied"), log.constData());
    // Root itself still gets in.
    QCOMPARE(runCtl(server.socketPath(), {"status"}).exitCode, 0);

    // With --admin-group, members of that group are let in (the socket is 0660 and the group's).
    AdminTestServer grouped(m_tree.root(), {"--workers", "1", "--admin-group", "nogroup"});
    QVERIFY2(grouped.start(), qPrintable(grouped.process().diagnostics()));
    QCOMPARE(::chmod(QFile::encodeName(grouped.socketDir()).constData(), 0755), 0);
    struct stat st{};
    QCOMPARE(::stat(QFile::encodeName(grouped.socketPath()).constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0660);
    const CtlResult member = runCtl(grouped.socketPath(), {"status"}, asNobody, copyCtlInto(grouped.socketDir()));
    QVERIFY2(member.exitCode == 0, member.err.constData());
}

void TestAdminSocket::socketClaiming()
{
    AdminTestServer server(m_tree.root(), {"--workers", "1"});
    QCOMPARE(runCtl(server.socketPath(), {"status"}).exitCode, 3); // not running yet
    const CtlResult tooLong =
        runCtl(server.socketDir() + QLatin1Char('/') + QString(200, QLatin1Char('x')), {"status"});
    QCOMPARE(tooLong.exitCode, 2); // no socket can have that path: a usage error
    QVERIFY2(tooLong.err.contains("is empty or too long"), tooLong.err.constData());
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    struct stat st{};
    QCOMPARE(::stat(QFile::encodeName(server.socketPath()).constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0600);
    // A second server on the same live socket refuses to start, saying why.
    const auto second = ServerProcess::run({"--root", m_tree.root(), "--listen", "127.0.0.1:0", "--admin-socket",
                                            server.socketPath()});
    QCOMPARE(second.exitCode, 2);
    QVERIFY2(second.err.contains("in use by a running server"), second.err.constData());
    // A server that died leaves a stale socket: the next one replaces it.
    server.process().kill();
    QVERIFY(QFile::exists(server.socketPath()));
    QCOMPARE(runCtl(server.socketPath(), {"status"}).exitCode, 3);
    ServerProcess third(m_tree.root(), {"--workers", "1", "--admin-socket", server.socketPath()});
    QVERIFY2(third.start(), qPrintable(third.diagnostics()));
    QCOMPARE(runCtl(server.socketPath(), {"status"}).exitCode, 0);
    QCOMPARE(third.stop(), 0);
    QVERIFY(!QFile::exists(server.socketPath())); // removed on a clean exit
}

QTEST_GUILESS_MAIN(TestAdminSocket)
#include "tst_admin_socket.moc"
