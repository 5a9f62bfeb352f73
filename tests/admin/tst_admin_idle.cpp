// Idle admin clients against the real server (docs/ADMIN.md §1): clients that connect and say nothing do
// not lock ferry-ctl out, a client with no subscription and no request is closed after the idle timeout
// (shortened for the test), and subscribers, which only read, are never closed for being idle.
#include "admintestkit.h"
#include "polling.h"
#include "scopedenv.h"

#include "admin/admin_server.h" // the limits under test

#include <QElapsedTimer>
#include <QTest>

#include <vector>

using ferry::admin::Json;
using ferry::admin::MaxAdminClients;
using namespace ferrytest;

namespace {
constexpr char IdleLine[] = "closed: idle, no request for";
constexpr char EvictedLine[] = "to make room for";
} // namespace

class TestAdminIdle : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY(m_tree.isValid()); }
    void silentClientsDoNotLockOutCtl();
    void idleClientIsClosedSubscribersStay();

private:
    TestTree m_tree;
};

// Every place taken by a client that sent nothing (as built: the idle timeout is a minute away). ferry-ctl
// gets in once the longest-idle of them has been idle for the eviction's minimum (a second); that one, the
// first to connect, is closed for it and no other.
void TestAdminIdle::silentClientsDoNotLockOutCtl()
{
    AdminTestServer server(m_tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    QElapsedTimer sinceFirst;
    sinceFirst.start();
    std::vector<std::unique_ptr<AdminConnection>> silent;
    for (size_t i = 0; i < MaxAdminClients; ++i) {
        silent.push_back(server.connect());
        QVERIFY2(silent.back(), qPrintable(QStringLiteral("admin client %1 was not let in").arg(i + 1)));
    }
    const CtlResult r =
        pollUntil([&] { return runCtl(server.socketPath(), {"status"}); },
                  [](const CtlResult &result) { return result.exitCode == 0; }, 10000, 100);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("Ferry server"), r.out.constData());
    QVERIFY2(sinceFirst.elapsed() >= ferry::admin::EvictMinIdleMs, "a client idle for less than a second was closed");
    QVERIFY(silent.front()->waitForClose(5000));
    const QByteArray log = server.process().stderrText();
    QCOMPARE(log.count(EvictedLine), 1);
    QVERIFY2(!log.contains(IdleLine), log.constData()); // not the timeout: it is a minute
    // The others are still connected.
    for (const size_t i : {size_t(1), silent.size() - 1}) {
        auto reply = silent[i]->call("status");
        QVERIFY2(reply && at(*reply, {"ok"}) == true, qPrintable(QStringLiteral("silent client %1").arg(i + 1)));
    }
}

// With the timeout at 500 ms: a client that sent nothing, and one that sent half a line, are closed once
// (and not before) that long has passed; a status subscriber and an audit subscriber that sent nothing since
// they subscribed stay, and so does a client whose requests come more often than the timeout.
void TestAdminIdle::idleClientIsClosedSubscribersStay()
{
    constexpr int TimeoutMs = 500;
    ScopedEnv hook("FERRY_TEST_ADMIN_IDLE_MS", QByteArray::number(TimeoutMs));
    AdminTestServer server(m_tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto watcher = server.connect();
    auto auditor = server.connect();
    auto active = server.connect();
    QVERIFY(watcher && auditor && active);
    auto reply = watcher->call("subscribe", Json{{"interval_ms", 60000}}); // one push now, then none for a minute
    QVERIFY(reply && at(*reply, {"ok"}) == true);
    reply = auditor->call("audit_subscribe");
    QVERIFY(reply && at(*reply, {"ok"}) == true);

    QElapsedTimer sinceConnect;
    sinceConnect.start();
    auto silent = server.connect();
    auto halfLine = server.connect();
    QVERIFY(silent && halfLine);
    QVERIFY(halfLine->sendRaw("{\"v\":1,\"cmd\":")); // bytes, but no complete request
    while (!silent->waitForClose(50)) {
        QVERIFY2(sinceConnect.elapsed() < 10000, "a client that sent nothing was never closed");
        auto answer = active->call("status");
        QVERIFY2(answer && at(*answer, {"ok"}) == true, "a client that sends requests was closed");
    }
    QVERIFY2(sinceConnect.elapsed() >= TimeoutMs, "closed before the idle timeout");
    QVERIFY(halfLine->waitForClose(5000));
    active.reset(); // it has shown what it had to; left connected, it would be idle from now on

    // The subscribers have been idle longer than the two that were closed, and are still there.
    auto push = watcher->nextEvent(1000);
    QVERIFY(push && textAt(*push, {"event"}) == "status");
    for (AdminConnection *subscriber : {watcher.get(), auditor.get()}) {
        reply = subscriber->call("status");
        QVERIFY2(reply && at(*reply, {"ok"}) == true, "a subscriber was closed for being idle");
    }
    const QByteArray log = server.process().stderrText();
    QCOMPARE(log.count(IdleLine), 2); // once for each, with the reason
    QVERIFY2(log.contains("and no subscription"), log.constData());
}

QTEST_GUILESS_MAIN(TestAdminIdle)
#include "tst_admin_idle.moc"
