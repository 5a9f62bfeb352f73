// The admin plane's bounds against the real server: a subscriber that stops reading is dropped at its output
// limit, clients beyond the maximum are refused when none is idle (tst_admin_idle: when one is), and the
// status that replies and pushes share is never stale after a command.
#include "admintestkit.h"
#include "polling.h"

#include "admin/admin_server.h" // the limits under test

#include <QDeadlineTimer>
#include <QTest>

#include <vector>

using ferry::admin::Json;
using ferry::admin::MaxAdminClients;
using ferry::admin::MaxOutputBytes;
using ferry::admin::MinSubscribeIntervalMs;
using ferry::admin::toLine;
using namespace ferrytest;

namespace {
// Every worker is an object in each push (about 240 bytes), so a full scoreboard makes pushes big and the
// output limit is reached after a hundred pushes or so rather than thousands.
constexpr int ManyWorkers = 64;
constexpr char DropLine[] = "dropped: not reading its replies";

Json request(int64_t id, const char *cmd)
{
    return Json{{"v", 1}, {"id", id}, {"cmd", cmd}};
}
} // namespace

class TestAdminLoad : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void subscriberThatStopsReadingIsDropped();
    void clientsBeyondTheLimitAreRefused();
    void statusAfterACommandIsFresh();

private:
    TestTree m_tree;
};

void TestAdminLoad::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("small.bin"), 64 * 1024, 8).isEmpty());
}

void TestAdminLoad::subscriberThatStopsReadingIsDropped()
{
    AdminTestServer server(m_tree.root(), {"--workers", QString::number(ManyWorkers)});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    const auto allStarted = [](const Json &s) { return intAt(s, {"pool", "total"}) == int64_t(ManyWorkers); };
    QVERIFY(allStarted(awaitStatus(server, allStarted, 15000)));
    const int64_t pushSize = int64_t(toLine(server.status()).size());
    qInfo("a push is about %lld bytes: the limit of %zu bytes holds about %lld", qlonglong(pushSize), MaxOutputBytes,
          qlonglong(int64_t(MaxOutputBytes) / pushSize));

    auto reader = server.connect();
    auto stalled = server.connect();
    QVERIFY(reader && stalled);
    const Json fastest = Json{{"interval_ms", MinSubscribeIntervalMs}};
    auto reply = reader->call("subscribe", fastest);
    QVERIFY(reply && (at(*reply, {"ok"}) == true));
    // The stalled client asks for pushes and then reads nothing, not even the reply.
    Json subscribe = request(1, "subscribe");
    subscribe["interval_ms"] = MinSubscribeIntervalMs;
    QVERIFY(stalled->sendRaw(QByteArray::fromStdString(toLine(subscribe))));

    // Until the drop the reader keeps up, so only the stalled client's buffer fills; its pushes pace the loop.
    QDeadlineTimer deadline(60000);
    int64_t seq = 0;
    while (!server.process().stderrText().contains(DropLine)) {
        QVERIFY2(!deadline.hasExpired(), "a subscriber that reads nothing was never dropped");
        auto push = reader->nextEvent(5000);
        QVERIFY2(push, "the reading subscriber stopped getting pushes");
        QCOMPARE(intAt(*push, {"seq"}), ++seq);
    }
    QVERIFY2(seq * pushSize >= int64_t(MaxOutputBytes) / 2, "dropped long before its buffer was full");
    QVERIFY2(stalled->waitForClose(10000), "the server did not close the stalled client");

    // The server and the other admin clients carry on.
    for (int i = 0; i < 2; ++i) {
        auto push = reader->nextEvent(5000);
        QVERIFY(push);
        QCOMPARE(intAt(*push, {"seq"}), ++seq);
    }
    QCOMPARE(intAt(server.status(), {"pool", "total"}), int64_t(ManyWorkers));
    TestClient client(10000);
    QVERIFY(client.open(server.process().host(), server.process().port()).ok());
    QVERIFY(client.get("small.bin").status.ok());
    QCOMPARE(server.process().stderrText().count(DropLine), 1);
}

void TestAdminLoad::clientsBeyondTheLimitAreRefused()
{
    AdminTestServer server(m_tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    std::vector<std::unique_ptr<AdminConnection>> admins;
    // Subscribed, so that none of them is an idle client a newcomer may close to make room (tst_admin_idle).
    for (size_t i = 0; i < MaxAdminClients; ++i) {
        admins.push_back(server.connect());
        QVERIFY2(admins.back(), qPrintable(QStringLiteral("admin client %1 was not let in").arg(i + 1)));
        auto reply = admins.back()->call("subscribe", Json{{"interval_ms", 60000}});
        QVERIFY(reply && (at(*reply, {"ok"}) == true));
    }

    AdminConnection extra;
    QVERIFY2(!extra.open(server.socketPath()), "one client more than the limit was let in");
    QCOMPARE(textAt(extra.greeting(), {"error", "code"}), std::string("overloaded"));
    QVERIFY(extra.waitForClose(5000));
    QVERIFY(server.process().stderrText().contains("refused: overloaded"));

    // Those already in keep working.
    for (auto *admin : {admins.front().get(), admins.back().get()}) {
        auto reply = admin->call("status");
        QVERIFY(reply && (at(*reply, {"ok"}) == true));
    }
    // A client that leaves makes room for another.
    admins.front().reset();
    // One connection attempt per try: the server may still count the one that left for a moment.
    const std::unique_ptr<AdminConnection> next = pollUntil(
        [&] { return server.connect(); }, [](const std::unique_ptr<AdminConnection> &c) { return bool(c); }, 5000);
    QVERIFY(next);
    auto reply = next->call("status");
    QVERIFY(reply && (at(*reply, {"ok"}) == true));
}

// Replies and pushes that come together share one snapshot; a command in between must not be hidden by it.
void TestAdminLoad::statusAfterACommandIsFresh()
{
    AdminTestServer server(m_tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    // One write, so the server reads all three requests in one go.
    const std::string batch = toLine(request(1, "status")) + toLine(request(2, "drain")) + toLine(request(3, "status"));
    QVERIFY(admin->sendRaw(QByteArray::fromStdString(batch)));
    std::vector<Json> replies;
    for (int i = 0; i < 3; ++i) {
        auto reply = admin->next(5000);
        QVERIFY(reply && (at(*reply, {"ok"}) == true));
        replies.push_back(*reply);
    }
    QCOMPARE(textAt(replies[0], {"status", "server", "state"}), std::string("accepting"));
    QCOMPARE(textAt(replies[1], {"state"}), std::string("draining"));
    QCOMPARE(textAt(replies[2], {"status", "server", "state"}), std::string("draining"));
}

QTEST_GUILESS_MAIN(TestAdminLoad)
#include "tst_admin_load.moc"
