// The pool that manages itself, driven through the admin socket of the real server: live limits,
// kill-worker and reload under load, and the progress watchdog.
#include "admintestkit.h"
#include "polling.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <set>
#include <signal.h>

using ferry::admin::Json;
using namespace ferrytest;

namespace {
constexpr uint64_t FileSize = 2 * 1024 * 1024;

int64_t poolValue(const Json &status, const char *key)
{
    return intAt(status, {"pool", key});
}

// poolValue() of the status once it reads `want`, or of the last one after `timeoutMs`.
int64_t awaitPool(const AdminTestServer &server, const char *key, int64_t want, int timeoutMs)
{
    return poolValue(awaitStatus(server, [&](const Json &s) { return poolValue(s, key) == want; }, timeoutMs), key);
}

// Pid of the first listed worker, 0 if none is listed.
int64_t firstWorkerPid(const Json &status)
{
    const Json &workers = at(status, {"workers"});
    return workers.size() > 0 ? intAt(workers.at(0), {"pid"}) : 0;
}

std::set<int64_t> generations(const Json &status)
{
    std::set<int64_t> seen;
    for (const Json &w : at(status, {"workers"}))
        seen.insert(intAt(w, {"generation"}));
    return seen;
}
} // namespace

class TestAdminPool : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void limitsTakeEffectLive();
    void killWorkerAndReloadKeepTransfersIntact();
    void watchdogCutsStalledKeepsSlow();
    void recycleAfterRequests();
    void reloadRereadsConfig();
    void crashLoopBreakerVisible();
    void fatalConfigOpensTheBreaker();
    void bytesOfADeadWorkerStayCounted();
    void quietConnectionIsParkedAndServedAgain();

private:
    TestTree m_tree;
};

void TestAdminPool::initTestCase()
{
    QVERIFY(m_tree.isValid());
    for (int i = 0; i < 6; ++i)
        QVERIFY(!m_tree.addFile(QStringLiteral("f%1.bin").arg(i), FileSize, quint32(100 + i)).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("big.bin"), 24 * 1024 * 1024, 42).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("small.bin"), 4096, 43).isEmpty());
}

void TestAdminPool::limitsTakeEffectLive()
{
    AdminTestServer server(m_tree.root(), {"--workers", "2", "--max-workers", "8"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    QCOMPARE(awaitPool(server, "idle", 2, 10000), 2);
    auto admin = server.connect();
    QVERIFY(admin);
    // Grow: at least 5 idle workers wanted, at most 6 workers.
    auto reply = admin->call("pool", Json{{"min_spare", 5}, {"max_spare", 6}, {"max_workers", 6}});
    QVERIFY2(reply && (at(*reply, {"ok"}) == true), reply ? reply->dump().c_str() : "");
    QCOMPARE(intAt(*reply, {"limits", "min_spare"}), 5);
    QCOMPARE(awaitPool(server, "idle", 5, 15000), 5);
    QVERIFY(server.process().waitForWorkerCount(5));
    QCOMPARE(intAt(server.status(), {"pool", "limits", "max_workers"}), 6);
    // Shrink: at most one idle worker; surplus ones retire, one a second.
    reply = admin->call("pool", Json{{"min_spare", 0}, {"max_spare", 1}});
    QVERIFY(reply && (at(*reply, {"ok"}) == true));
    QCOMPARE(awaitPool(server, "total", 1, 20000), 1);
    QVERIFY(server.process().waitForWorkerCount(1));
    // Highest slots go first, so the one left is the lowest (warm, and compact in the scoreboard).
    const Json shrunk = server.status();
    QCOMPARE(at(shrunk, {"workers"}).size(), size_t(1));
    QCOMPARE(intAt(at(shrunk, {"workers"}).at(0), {"slot"}), 0);
    // The one that is left still serves.
    TestClient client(10000);
    QVERIFY(client.open(server.process().host(), server.process().port()).ok());
    QVERIFY(client.get("small.bin").status.ok());
    // Refusals change nothing.
    reply = admin->call("pool", Json{{"max_workers", 9}}); // capacity is 8
    QCOMPARE(textAt(*reply, {"error", "code"}), std::string("bad_argument"));
    reply = admin->call("pool", Json{{"min_spare", 3}, {"max_spare", 2}});
    QCOMPARE(textAt(*reply, {"error", "code"}), std::string("bad_argument"));
    QCOMPARE(intAt(server.status(), {"pool", "limits", "max_spare"}), 1);
    // Spares the pool could never keep: more idle workers wanted than it may run.
    reply = admin->call("pool", Json{{"min_spare", 3}, {"max_spare", 4}, {"max_workers", 2}});
    QCOMPARE(textAt(*reply, {"error", "code"}), std::string("bad_argument"));
    QCOMPARE(textAt(*reply, {"error", "message"}), std::string("\"min_spare\" (3) must not exceed \"max_workers\" (2)"));
    QCOMPARE(intAt(server.status(), {"pool", "limits", "max_workers"}), 6);
    const CtlResult r = runCtl(server.socketPath(), {"pool", "--min-spare", "4", "--max-spare", "3"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err, QByteArray("ferry-ctl: refused: bad_argument: \"min_spare\" (4) must not exceed \"max_spare\" (3)\n"));
    QCOMPARE(intAt(server.status(), {"pool", "limits", "min_spare"}), 0);
}

void TestAdminPool::killWorkerAndReloadKeepTransfersIntact()
{
    AdminTestServer server(m_tree.root(), {"--workers", "3", "--max-workers", "12", "--rate-limit", "1048576"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    std::vector<std::unique_ptr<Download>> downloads;
    auto startDownload = [&](int i) {
        downloads.push_back(std::make_unique<Download>(server.process(), QStringLiteral("f%1.bin").arg(i).toStdString(),
                                                       quint32(100 + i), FileSize));
    };
    // Graceful kill of a busy worker: its transfer (2 s at 1 MiB/s) still completes, and then the worker
    // exits by itself, long before anything else (a reload) would retire it.
    startDownload(0);
    const Json busy = awaitWorkerServing(server, "f0.bin", 10000);
    QVERIFY(!busy.is_null());
    const int64_t victimSlot = intAt(busy, {"slot"});
    const int64_t victimPid = intAt(busy, {"pid"});
    auto reply = admin->call("kill_worker", Json{{"slot", victimSlot}, {"graceful", true}});
    QVERIFY2(reply && (at(*reply, {"ok"}) == true), reply ? reply->dump().c_str() : "");
    QCOMPARE(intAt(*reply, {"pid"}), victimPid);
    QVERIFY2(!downloads[0]->hasFinished(), "the transfer ended before the kill: the kill did not meet a busy worker");
    // It says so itself while it finishes: stopping, still showing the transfer it is finishing, and
    // counted among the pool's stopping workers (one snapshot for both).
    const auto victimShownAs = [&](const Json &status) {
        for (const Json &w : at(status, {"workers"}))
            if (intAt(w, {"pid"}) == victimPid)
                return textAt(w, {"state"}) + " " + textAt(w, {"path"}) + " of "
                       + std::to_string(poolValue(status, "stopping"));
        return std::string("gone");
    };
    const std::string stopping = "stopping f0.bin of 1";
    QCOMPARE(victimShownAs(awaitStatus(server, [&](const Json &s) { return victimShownAs(s) == stopping; }, 10000)),
             stopping);
    const auto slotRefilledAfterAdminStop = [&](const Json &status) {
        for (const Json &w : at(status, {"workers"}))
            if (intAt(w, {"slot"}) == victimSlot)
                return intAt(w, {"pid"}) != victimPid && textAt(w, {"last_exit"}) == "stopped by admin";
        return false;
    };
    QVERIFY(slotRefilledAfterAdminStop(awaitStatus(server, slotRefilledAfterAdminStop, 15000)));
    QVERIFY(!ServerProcess::processExists(victimPid));
    downloads[0]->join();
    QVERIFY2(downloads[0]->intact(), qPrintable(downloads[0]->describe()));
    QCOMPARE(intAt(server.status(), {"server", "generation"}), 1); // no reload has happened yet

    // Reload while two transfers run.
    startDownload(1);
    startDownload(2);
    QCOMPARE(awaitPool(server, "busy", 2, 10000), 2);
    reply = admin->call("reload");
    QVERIFY2(reply && (at(*reply, {"ok"}) == true), reply ? reply->dump().c_str() : "");
    QCOMPARE(intAt(*reply, {"generation"}), 2);
    // New connections during the reload are served by the new generation, none refused.
    for (int i = 3; i < 6; ++i)
        startDownload(i);
    std::map<std::string, int64_t> servingGeneration; // path -> generation of the worker seen serving it
    QElapsedTimer clock;
    clock.start();
    while (servingGeneration.size() < 3 && clock.elapsed() < 15000) {
        const Json status = server.status();
        for (const std::string path : {"f3.bin", "f4.bin", "f5.bin"})
            if (const Json w = workerServing(status, path); !w.is_null())
                servingGeneration[path] = intAt(w, {"generation"});
        QTest::qWait(50);
    }
    QCOMPARE(servingGeneration.size(), size_t(3));
    for (const auto &[path, generation] : servingGeneration)
        QVERIFY2(generation == 2, qPrintable(QStringLiteral("%1 served by generation %2")
                                                 .arg(QString::fromStdString(path)).arg(generation)));
    for (auto &d : downloads) {
        d->join();
        QVERIFY2(d->intact(), qPrintable(d->describe()));
    }
    // The old generation drains away; the pool is back at its size, all of generation 2.
    const auto onlyGeneration2 = [](const Json &s) { return generations(s) == std::set<int64_t>{2}; };
    QVERIFY(onlyGeneration2(awaitStatus(server, onlyGeneration2, 15000)));
    QCOMPARE(awaitPool(server, "total", 3, 15000), 3);
    // An immediate kill of an idle worker: the pool replaces it (in the lowest free slot).
    const Json workersNow = at(server.status(), {"workers"});
    QVERIFY(workersNow.size() > 0);
    const Json victim = workersNow.at(0);
    reply = admin->call("kill_worker", Json{{"slot", intAt(victim, {"slot"})}, {"graceful", false}});
    QVERIFY(reply && (at(*reply, {"ok"}) == true));
    const auto victimGoneAndReplaced = [&](const Json &status) {
        for (const Json &w : at(status, {"workers"}))
            if (intAt(w, {"pid"}) == intAt(victim, {"pid"}))
                return false;
        return poolValue(status, "idle") == 3;
    };
    QVERIFY(victimGoneAndReplaced(awaitStatus(server, victimGoneAndReplaced, 15000)));
    QVERIFY(server.process().waitForWorkerCount(3));
    QVERIFY(server.process().stderrText().contains("cmd=reload result=ok"));
}

void TestAdminPool::watchdogCutsStalledKeepsSlow()
{
    // The watchdog (2 s without progress) rather than the send timeout must be what cuts the stalled client.
    constexpr qint64 StallTimeoutMs = 2000;
    AdminTestServer server(m_tree.root(), {"--workers", "2", "--stall-timeout", "2", "--send-timeout", "600",
                                           "--rate-limit", "4194304"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    Download stalled(server.process(), "big.bin", 42, 24 * 1024 * 1024, Download::Mode::Stall);
    const int64_t stalledConnection = intAt(awaitWorkerServing(server, "big.bin", 10000), {"connection"});
    QVERIFY(stalledConnection > 0);
    // A slow download of the same length, moving all along (6 s at 4 MiB/s), outlives the stall timeout
    // and the watchdog's one-second rounds several times over.
    QElapsedTimer slowClock;
    slowClock.start();
    Download slow(server.process(), "big.bin", 42, 24 * 1024 * 1024);
    // The stalled transfer is cut and its worker freed.
    const auto stalledCut = [&](const Json &status) {
        for (const Json &w : at(status, {"workers"}))
            if (intAt(w, {"connection"}) == stalledConnection)
                return false;
        return !status.is_null();
    };
    QVERIFY(stalledCut(awaitStatus(server, stalledCut, 30000)));
    QVERIFY(server.process().stderrText().contains("no progress"));
    stalled.release();
    stalled.join();
    QVERIFY2(stalled.status().outcome == Outcome::Closed || stalled.status().outcome == Outcome::Reset,
             qPrintable(stalled.describe()));
    slow.join();
    const qint64 slowMs = slowClock.elapsed();
    QVERIFY2(slow.intact(), qPrintable(slow.describe()));
    QVERIFY2(slowMs > 2 * StallTimeoutMs,
             qPrintable(QStringLiteral("the slow download took only %1 ms: it proves nothing").arg(slowMs)));
    // The pool is whole again.
    QCOMPARE(awaitPool(server, "idle", 2, 15000), 2);
}

void TestAdminPool::recycleAfterRequests()
{
    AdminTestServer server(m_tree.root(), {"--workers", "1", "--max-requests", "3"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    QCOMPARE(awaitPool(server, "idle", 1, 10000), 1);
    const int64_t firstPid = firstWorkerPid(server.status());
    for (int i = 0; i < 3; ++i) {
        TestClient client(10000);
        QVERIFY(client.open(server.process().host(), server.process().port()).ok());
        QVERIFY(client.get("small.bin").status.ok());
    }
    // After its third request the worker is recycled and a fresh one serves on.
    const auto recycled = [&](const Json &status) {
        const Json &workers = at(status, {"workers"});
        return workers.size() == 1 && intAt(workers.at(0), {"pid"}) != firstPid
            && textAt(workers.at(0), {"last_exit"}) == "recycled after 3 requests"
            && textAt(workers.at(0), {"state"}) == "idle";
    };
    QVERIFY(recycled(awaitStatus(server, recycled, 15000)));
    TestClient client(10000);
    QVERIFY(client.open(server.process().host(), server.process().port()).ok());
    QVERIFY(client.get("small.bin").status.ok());
}

void TestAdminPool::reloadRereadsConfig()
{
    QTemporaryDir dir;
    const QString config = dir.filePath(QStringLiteral("ferry.conf"));
    auto writeConfig = [&](const QByteArray &text) {
        QFile file(config);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(text) == text.size();
    };
    QVERIFY(writeConfig("workers = 2\nmax-requests = 5\n"));
    AdminTestServer server(m_tree.root(), {"--config", config});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    QCOMPARE(intAt(server.status(), {"pool", "limits", "max_requests"}), 5);
    QVERIFY(writeConfig("workers = 2\nmax-requests = 7\n"));
    CtlResult r = runCtl(server.socketPath(), {"reload"});
    QCOMPARE(r.exitCode, 0);
    const auto recycleAfter7 = [](const Json &s) { return intAt(s, {"pool", "limits", "max_requests"}) == 7; };
    QVERIFY(recycleAfter7(awaitStatus(server, recycleAfter7, 10000)));
    QCOMPARE(intAt(server.status(), {"server", "generation"}), 2);
    // A broken config is refused and changes nothing.
    QVERIFY(writeConfig("workers = lots\n"));
    r = runCtl(server.socketPath(), {"reload"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("failed"), r.err.constData());
    QCOMPARE(intAt(server.status(), {"server", "generation"}), 2);
    QCOMPARE(awaitPool(server, "idle", 2, 10000), 2);
}

void TestAdminPool::crashLoopBreakerVisible()
{
    // One slot only, so that every replacement has to wait out that slot's backoff.
    AdminTestServer server(m_tree.root(), {"--workers", "1", "--max-workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    int64_t lastPid = 0;
    for (int kill = 0; kill < 4; ++kill) {
        const int64_t pid = pollUntil([&] { return firstWorkerPid(server.status()); },
                                      [lastPid](int64_t p) { return p > 0 && p != lastPid; }, 15000);
        QVERIFY(pid > 0 && pid != lastPid);
        QCOMPARE(::kill(pid_t(pid), SIGKILL), 0); // dies young, again and again
        lastPid = pid;
    }
    const Json breaker = pollUntil([&] { return at(server.status(), {"pool", "breaker"}); },
                                   [](const Json &b) { return textAt(b, {"state"}) == "backoff"; }, 5000);
    QCOMPARE(textAt(breaker, {"state"}), std::string("backoff"));
    QVERIFY(intAt(breaker, {"backoff_ms"}) > 0);
    QVERIFY(intAt(breaker, {"recent_crashes"}) >= 3);
    // Left alone, the pool recovers.
    QCOMPARE(awaitPool(server, "idle", 1, 20000), 1);
    const auto breakerClosed = [](const Json &s) { return textAt(s, {"pool", "breaker", "state"}) == "closed"; };
    QVERIFY(breakerClosed(awaitStatus(server, breakerClosed, 20000)));
}

// A worker that can never work (the served directory is gone) exits with the fatal-config code: the pool
// forks nothing more, and says so.
void TestAdminPool::fatalConfigOpensTheBreaker()
{
    QTemporaryDir root;
    QVERIFY(root.isValid());
    AdminTestServer server(root.path(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    QCOMPARE(awaitPool(server, "idle", 2, 10000), 2);
    const int64_t victim = firstWorkerPid(server.status());
    QVERIFY(QDir(root.path()).removeRecursively());
    QCOMPARE(::kill(pid_t(victim), SIGKILL), 0);
    // Its replacement finds no root and exits 64; the breaker opens and the survivor is left alone.
    const auto breakerOpen = [](const Json &s) { return textAt(s, {"pool", "breaker", "state"}) == "open"; };
    QVERIFY(breakerOpen(awaitStatus(server, breakerOpen, 10000)));
    QVERIFY(server.process().stderrText().contains("fatal configuration error: not restarting workers"));
    const Json status = server.status();
    QCOMPARE(poolValue(status, "total"), 1);
    const int64_t survivor = firstWorkerPid(status);
    QVERIFY(survivor != victim);
    // The survivor's death is not answered with a fork either (a closed breaker replaces it at once).
    QCOMPARE(::kill(pid_t(survivor), SIGKILL), 0);
    QCOMPARE(awaitPool(server, "total", 0, 10000), 0);
    QCOMPARE(server.process().stderrText().count("the root directory is gone"), 1);
    QCOMPARE(textAt(server.status(), {"pool", "breaker", "state"}), std::string("open"));
}

// A worker killed right after a transfer, before any tick has read its total: its bytes still count.
void TestAdminPool::bytesOfADeadWorkerStayCounted()
{
    AdminTestServer server(m_tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    QVERIFY(server.process().waitForWorkerCount(1));
    const qint64 worker = server.process().workerPids().value(0);
    {
        TestClient client(10000);
        QVERIFY(client.open(server.process().host(), server.process().port()).ok());
        QVERIFY(client.get("small.bin").status.ok());
        // The one worker answers this after it has counted the body it sent (just after sending it).
        QVERIFY(client.stat("small.bin").ok());
    }
    // No status request before the kill: answering one would read the total from the living worker.
    QCOMPARE(::kill(pid_t(worker), SIGKILL), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!server.process().workerPids().contains(worker)
                                 && server.process().workerPids().size() == 1,
                             10000);
    QCOMPARE(poolValue(server.status(), "bytes_sent"), 4096);
}

// A kept-alive connection stays with its worker only while its client is active: once quiet it is
// handed back to the parent (parked), costing no worker, and its next request is served as before.
void TestAdminPool::quietConnectionIsParkedAndServedAgain()
{
    AdminTestServer server(m_tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    TestClient client;
    QVERIFY(client.open(server.process().host(), server.process().port()).ok());
    for (int round = 0; round < 2; ++round) {
        const GetResult r = client.get("small.bin");
        QVERIFY2(r.status.ok() && r.data == patternBytes(43, 0, 4096), qPrintable(r.status.toString()));
        QCOMPARE(awaitPool(server, "parked", 1, 10000), 1);
        const Json status = server.status();
        for (const Json &w : at(status, {"workers"}))
            QCOMPARE(intAt(w, {"connection"}), 0);
    }
    QCOMPARE(server.process().stop(), 0);
}

QTEST_GUILESS_MAIN(TestAdminPool)
#include "tst_admin_pool.moc"
