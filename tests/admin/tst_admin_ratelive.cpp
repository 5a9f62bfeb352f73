// Rate limits changed through the admin socket while transfers run (docs/ADMIN.md §5.5): the new
// per-connection limit, and a global limit shared by the running transfers, hold within 10 % over
// 5 s, measured by what the clients receive.
#include "admintestkit.h"

#include <QElapsedTimer>
#include <QTest>

using ferry::admin::Json;
using namespace ferrytest;

namespace {
constexpr uint64_t MiB = 1024 * 1024;
constexpr uint64_t FileSize = 48 * MiB; // more than any phase below sends: the downloads never end by themselves
constexpr int WindowMs = 5000;

// Bytes per second each download received over the next `WindowMs`. A rate is a quantity over time:
// waiting out the window is the measurement, not a guess at when something happens.
std::vector<double> ratesOver(const std::vector<const Download *> &downloads)
{
    std::vector<uint64_t> before;
    for (const Download *d : downloads)
        before.push_back(d->received());
    QElapsedTimer clock;
    clock.start();
    QTest::qWait(WindowMs);
    const double seconds = double(clock.elapsed()) / 1000.0;
    std::vector<double> rates;
    for (size_t i = 0; i < downloads.size(); ++i)
        rates.push_back(double(downloads[i]->received() - before[i]) / seconds);
    return rates;
}

bool within10Percent(double rate, double limit)
{
    return rate >= 0.9 * limit && rate <= 1.1 * limit;
}

QString mibps(double rate)
{
    return QString::number(rate / double(MiB), 'f', 2) + QStringLiteral(" MiB/s");
}
} // namespace

class TestAdminRateLive : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void liveLimitsReachRunningTransfers();

private:
    TestTree m_tree;
};

void TestAdminRateLive::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("a.bin"), FileSize, 51).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("b.bin"), FileSize, 52).isEmpty());
}

// A transfer running at 4 MiB/s for a second is slowed to 1 MiB/s: from then on it gets 1 MiB/s (not
// a pause while its past is "paid back"). Then, on fresh transfers so that nothing of the first
// part carries over: under a global 4 MiB/s one transfer runs alone for 2 s, a second one starts,
// and each gets half, together 4 MiB/s.
void TestAdminRateLive::liveLimitsReachRunningTransfers()
{
    AdminTestServer server(m_tree.root(), {"--workers", "2", "--rate-limit", "4M"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    Download first(server.process(), "a.bin", 51, FileSize);
    QTRY_VERIFY_WITH_TIMEOUT(first.received() >= 4 * MiB, 10000); // about a second at 4 MiB/s

    auto reply = admin->call("rate_limit", Json{{"per_connection", int64_t(MiB)}});
    QVERIFY2(reply && (at(*reply, {"ok"}) == true), reply ? reply->dump().c_str() : "no reply");
    const double slowed = ratesOver({&first}).front();
    qInfo("after lowering the limit to 1 MiB/s: %s", qPrintable(mibps(slowed)));
    QVERIFY2(within10Percent(slowed, double(MiB)),
             qPrintable(QStringLiteral("%1 at a limit of 1 MiB/s").arg(mibps(slowed))));

    const int64_t firstConnection = intAt(workerServing(server.status(), "a.bin"), {"connection"});
    reply = admin->call("disconnect", Json{{"connection", firstConnection}});
    QVERIFY2(reply && (at(*reply, {"ok"}) == true), reply ? reply->dump().c_str() : "no reply");
    first.join();

    reply = admin->call("rate_limit", Json{{"per_connection", 0}, {"global", int64_t(4 * MiB)}});
    QVERIFY2(reply && (at(*reply, {"ok"}) == true), reply ? reply->dump().c_str() : "no reply");
    Download alone(server.process(), "b.bin", 52, FileSize);
    QTRY_VERIFY_WITH_TIMEOUT(alone.received() >= 8 * MiB, 10000); // about 2 s with the whole 4 MiB/s
    Download joining(server.process(), "a.bin", 51, FileSize);
    QTRY_VERIFY_WITH_TIMEOUT(joining.received() > 0, 10000);
    const std::vector<double> shared = ratesOver({&alone, &joining});
    const QString seen = QStringLiteral("%1 and %2 under a global 4 MiB/s").arg(mibps(shared[0]), mibps(shared[1]));
    qInfo("%s", qPrintable(seen));
    QVERIFY2(within10Percent(shared[0] + shared[1], double(4 * MiB)) && within10Percent(shared[0], double(2 * MiB))
                 && within10Percent(shared[1], double(2 * MiB)),
             qPrintable(seen));

    // Both downloads are cut here, far from their end: that is not what this test is about.
    server.process().kill();
    alone.join();
    joining.join();
    QVERIFY2(alone.received() < FileSize && joining.received() < FileSize, "a download ended: the file is too small");
}

QTEST_GUILESS_MAIN(TestAdminRateLive)
#include "tst_admin_ratelive.moc"
