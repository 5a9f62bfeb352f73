// Pool policy as tables: scoreboard pictures in mod_status letters → what the supervisor must do.
#include "policy/pool_policy.h"

#include <QtTest>

using namespace ferry::pool;
using ferry::server::WorkerState;

namespace {

constexpr int64_t Second = 1'000'000'000;

// One letter per live worker, in slot order: '_' idle, 'S' starting, 'R' reading, 'W' sending,
// 'G' stopping, 'o' idle of the previous generation, 'x' idle already asked to stop.
PoolView viewOf(const QString &picture, uint32_t capacity, uint32_t pending)
{
    PoolView view;
    view.capacity = capacity;
    view.currentGeneration = 2;
    view.pending = pending;
    view.nowNs = 1000 * Second;
    uint32_t slot = 0;
    for (QChar c : picture) {
        WorkerView w;
        w.slot = slot++;
        w.generation = 2;
        switch (c.toLatin1()) {
        case '_': w.state = WorkerState::Idle; break;
        case 'S': w.state = WorkerState::Starting; break;
        case 'R': w.state = WorkerState::Reading; break;
        case 'W': w.state = WorkerState::Sending; break;
        case 'G': w.state = WorkerState::Stopping; break;
        case 'o': w.state = WorkerState::Idle; w.generation = 1; break;
        case 'x': w.state = WorkerState::Idle; w.stopRequested = true; break;
        default: continue;
        }
        view.workers.push_back(w);
    }
    return view;
}

} // namespace

class TestPoolPolicy : public QObject {
    Q_OBJECT
private slots:
    void spawnAndRetire_data();
    void spawnAndRetire();
    void spawnRateDoubles();
    void oldGenerationAndRecycle();
    void watchdog_data();
    void watchdog();
};

void TestPoolPolicy::spawnAndRetire_data()
{
    QTest::addColumn<QString>("picture");
    QTest::addColumn<uint>("pending");
    QTest::addColumn<uint>("minSpare");
    QTest::addColumn<uint>("maxSpare");
    QTest::addColumn<uint>("maxWorkers");
    QTest::addColumn<uint>("rate");
    QTest::addColumn<uint>("spawn");
    QTest::addColumn<int>("retire");
    QTest::addColumn<bool>("maxReached");
    //                                  picture      pend min max maxW rate spawn retire reached
    QTest::newRow("empty pool, rate 1") << "" << 0u << 2u << 8u << 32u << 1u << 1u << -1 << false;
    QTest::newRow("empty pool, rate 4") << "" << 0u << 5u << 8u << 32u << 4u << 4u << -1 << false;
    QTest::newRow("enough spares") << "__WW" << 0u << 2u << 8u << 32u << 1u << 0u << -1 << false;
    QTest::newRow("starting counts as spare") << "_SWW" << 0u << 2u << 8u << 32u << 1u << 0u << -1 << false;
    QTest::newRow("all busy") << "WWRR" << 0u << 2u << 8u << 32u << 2u << 2u << -1 << false;
    QTest::newRow("capped by max workers") << "WWW_" << 0u << 3u << 8u << 5u << 8u << 1u << -1 << true;
    QTest::newRow("at max workers") << "WWWW" << 0u << 2u << 8u << 4u << 1u << 0u << -1 << true;
    QTest::newRow("capped by free slots") << "WWW" << 0u << 4u << 8u << 32u << 8u << 1u << -1 << true;
    QTest::newRow("rate never above 32 per tick") << "" << 0u << 100u << 100u << 200u << 32u << 32u << -1 << false;
    QTest::newRow("pending with min spare 0") << "W" << 3u << 0u << 8u << 32u << 4u << 3u << -1 << false;
    QTest::newRow("surplus: highest idle slot") << "_W_____" << 0u << 1u << 3u << 32u << 1u << 0u << 6 << false;
    QTest::newRow("over max workers, one idle") << "WW_W" << 0u << 0u << 8u << 2u << 1u << 0u << 2 << false;
    QTest::newRow("over max workers, none idle") << "WWWW" << 0u << 0u << 8u << 2u << 1u << 0u << 3 << false;
    QTest::newRow("stopping ones do not count") << "GGGG__" << 0u << 2u << 8u << 2u << 1u << 0u << -1 << false;
    QTest::newRow("stopping ones hold slots") << "GGG_" << 0u << 2u << 8u << 32u << 1u << 0u << -1 << true;
    QTest::newRow("asked-to-stop is not spare") << "xx" << 0u << 2u << 8u << 32u << 2u << 2u << -1 << false;
}

void TestPoolPolicy::spawnAndRetire()
{
    QFETCH(QString, picture);
    QFETCH(uint, pending);
    QFETCH(uint, minSpare);
    QFETCH(uint, maxSpare);
    QFETCH(uint, maxWorkers);
    QFETCH(uint, rate);
    QFETCH(uint, spawn);
    QFETCH(int, retire);
    QFETCH(bool, maxReached);
    const uint32_t capacity = picture == "WWW" || picture == "GGG_" ? 4 : 256;
    PoolLimits limits{minSpare, maxSpare, maxWorkers, 0, 0};
    PolicyState state{rate};
    const Decision d = decide(viewOf(picture, capacity, pending), limits, state);
    QCOMPARE(d.spawn, spawn);
    QCOMPARE(d.retire.has_value() ? int(*d.retire) : -1, retire);
    QCOMPARE(d.maxWorkersReached, maxReached);
}

void TestPoolPolicy::spawnRateDoubles()
{
    // Apache's ramp: 1, 2, 4, 8, 16, 32, 32 forks per tick while still short; back to 1 once satisfied.
    PoolLimits limits{200, 250, 256, 0, 0};
    PolicyState state;
    QString picture;
    QList<uint32_t> spawned;
    for (int tick = 0; tick < 7; ++tick) {
        const Decision d = decide(viewOf(picture, 256, 0), limits, state);
        spawned << d.spawn;
        picture += QString(int(d.spawn), QChar('S'));
    }
    QCOMPARE(spawned, (QList<uint32_t>{1, 2, 4, 8, 16, 32, 32}));
    limits.minSpare = 10;
    decide(viewOf(picture, 256, 0), limits, state);
    QCOMPARE(state.spawnRate, 1u);
}

void TestPoolPolicy::oldGenerationAndRecycle()
{
    PoolView view = viewOf("o_oW", 256, 0);
    view.workers[3].requests = 100;
    PoolLimits limits{1, 8, 32, 100, 0};
    PolicyState state;
    Decision d = decide(view, limits, state);
    QCOMPARE(d.stopOldGeneration, (std::vector<uint32_t>{0, 2}));
    QCOMPARE(d.recycle, (std::vector<uint32_t>{3}));
    QCOMPARE(d.spawn, 0u); // slot 1 is a current spare
    limits.maxRequests = 0; // 0 = never recycle
    d = decide(view, limits, state);
    QVERIFY(d.recycle.empty());
}

void TestPoolPolicy::watchdog_data()
{
    QTest::addColumn<int>("state");
    QTest::addColumn<qlonglong>("startAgo");    // seconds before now, 0 = no transfer
    QTest::addColumn<qlonglong>("progressAgo"); // seconds before now, -1 = never moved
    QTest::addColumn<qlonglong>("abortAgo");    // -1 = not asked yet
    QTest::addColumn<uint>("timeout");
    QTest::addColumn<QString>("verdict"); // "", "abort", "kill"
    const int W = int(WorkerState::Sending);
    QTest::newRow("fast transfer") << W << 100LL << 0LL << -1LL << 10u << "";
    QTest::newRow("slow but moving, hours long") << W << 7200LL << 3LL << -1LL << 10u << "";
    QTest::newRow("stalled") << W << 100LL << 10LL << -1LL << 10u << "abort";
    QTest::newRow("stalled from the start") << W << 12LL << -1LL << -1LL << 10u << "abort";
    QTest::newRow("just under the timeout") << W << 100LL << 9LL << -1LL << 10u << "";
    QTest::newRow("watchdog off") << W << 100LL << 99LL << -1LL << 0u << "";
    QTest::newRow("no transfer") << W << 0LL << 99LL << -1LL << 10u << "";
    QTest::newRow("idle worker") << int(WorkerState::Idle) << 100LL << 99LL << -1LL << 10u << "";
    QTest::newRow("stopping while stalled") << int(WorkerState::Stopping) << 100LL << 50LL << -1LL << 10u << "abort";
    QTest::newRow("asked, within grace") << W << 100LL << 50LL << 1LL << 10u << "";
    QTest::newRow("asked, grace over") << W << 100LL << 50LL << 2LL << 10u << "kill";
}

void TestPoolPolicy::watchdog()
{
    QFETCH(int, state);
    QFETCH(qlonglong, startAgo);
    QFETCH(qlonglong, progressAgo);
    QFETCH(qlonglong, abortAgo);
    QFETCH(uint, timeout);
    QFETCH(QString, verdict);
    PoolView view = viewOf("W", 8, 0);
    const int64_t now = view.nowNs;
    WorkerView &w = view.workers[0];
    w.state = WorkerState(state);
    w.transferStartNs = startAgo ? now - startAgo * Second : 0;
    w.lastProgressNs = progressAgo >= 0 ? now - progressAgo * Second : 0;
    w.abortRequestedNs = abortAgo >= 0 ? now - abortAgo * Second : 0;
    Decision d;
    checkStalls(view, PoolLimits{0, 8, 8, 0, timeout}, d);
    QCOMPARE(d.abortStalled.size() == 1, verdict == "abort");
    QCOMPARE(d.killStalled.size() == 1, verdict == "kill");
}

QTEST_GUILESS_MAIN(TestPoolPolicy)
#include "tst_poolpolicy.moc"
