// Pool policy as tables: scoreboard pictures in mod_status letters → what the pool manager must do.
#include "policy/exit_policy.h"
#include "policy/pool_policy.h"

#include <QtTest>

using namespace ferry::pool;
using ferry::server::ExitReason;
using ferry::server::WorkerState;
namespace policy = ferry::server::policy;

namespace {

constexpr int64_t Second = 1'000'000'000;

// One letter per slot, in slot order: '_' idle, 'S' starting, 'R' reading, 'W' sending, 'G' stopping,
// 'o' idle of the previous generation, 'x' idle already asked to stop; '.' a free slot, 'b' a free slot
// backing off for another second. Slots past the picture, up to `capacity`, are free.
PoolView viewOf(const QString &picture, uint32_t capacity, uint32_t pending)
{
    PoolView view;
    view.currentGeneration = 2;
    view.pending = pending;
    view.nowNs = 1000 * Second;
    for (uint32_t slot = 0; slot < std::max<uint32_t>(capacity, uint32_t(picture.size())); ++slot) {
        const char c = slot < uint32_t(picture.size()) ? picture[slot].toLatin1() : '.';
        if (c == '.' || c == 'b') {
            view.freeSlots.push_back({slot, c == 'b' ? view.nowNs + Second : 0});
            continue;
        }
        WorkerView w;
        w.slot = slot;
        w.generation = 2;
        switch (c) {
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

// A pool that has settled: it aims for exactly the workers it has.
PolicyState settled(const PoolView &view, uint32_t rate)
{
    PolicyState state;
    state.spawnRate = rate;
    state.generation = view.currentGeneration;
    for (const WorkerView &w : view.workers)
        state.target += isActive(w, view.currentGeneration);
    return state;
}

// "2 3" for slots {2, 3}; "" for none.
QString slotsText(const std::vector<uint32_t> &list)
{
    QStringList parts;
    for (uint32_t slot : list)
        parts << QString::number(slot);
    return parts.join(' ');
}

} // namespace

class TestPoolPolicy : public QObject {
    Q_OBJECT
private slots:
    void spawnAndRetire_data();
    void spawnAndRetire();
    void spawnRateDoubles();
    void replaceAndRestart_data();
    void replaceAndRestart();
    void crashLoopHealth_data();
    void crashLoopHealth();
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
    QTest::addColumn<QString>("retire");
    QTest::addColumn<bool>("maxReached");
    //                                  picture      pend min max maxW rate spawn retire reached
    QTest::newRow("empty pool, rate 1") << "" << 0u << 2u << 8u << 32u << 1u << 1u << "" << false;
    QTest::newRow("empty pool, rate 4") << "" << 0u << 5u << 8u << 32u << 4u << 4u << "" << false;
    QTest::newRow("enough spares") << "__WW" << 0u << 2u << 8u << 32u << 1u << 0u << "" << false;
    QTest::newRow("starting counts as spare") << "_SWW" << 0u << 2u << 8u << 32u << 1u << 0u << "" << false;
    QTest::newRow("all busy") << "WWRR" << 0u << 2u << 8u << 32u << 2u << 2u << "" << false;
    QTest::newRow("capped by max workers") << "WWW_" << 0u << 3u << 8u << 5u << 8u << 1u << "" << true;
    QTest::newRow("at max workers") << "WWWW" << 0u << 2u << 8u << 4u << 1u << 0u << "" << true;
    QTest::newRow("capped by free slots") << "WWW" << 0u << 4u << 8u << 32u << 8u << 1u << "" << true;
    QTest::newRow("rate never above 32 per tick") << "" << 0u << 100u << 100u << 200u << 32u << 32u << "" << false;
    QTest::newRow("pending with min spare 0") << "W" << 3u << 0u << 8u << 32u << 4u << 3u << "" << false;
    QTest::newRow("surplus: highest idle slot") << "_W_____" << 0u << 1u << 3u << 32u << 1u << 0u << "6" << false;
    // max_workers lowered below the pool: the whole surplus at once, idle ones first, then the highest busy.
    QTest::newRow("over max workers, one idle") << "WW_W" << 0u << 0u << 8u << 2u << 1u << 0u << "2 3" << false;
    QTest::newRow("over max workers, none idle") << "WWWW" << 0u << 0u << 8u << 2u << 1u << 0u << "3 2" << false;
    QTest::newRow("over max workers, starting next") << "WSW_" << 0u << 0u << 8u << 2u << 1u << 0u << "3 1"
                                                     << false;
    QTest::newRow("stopping ones do not count") << "GGGG__" << 0u << 2u << 8u << 2u << 1u << 0u << "" << false;
    QTest::newRow("stopping ones hold slots") << "GGG_" << 0u << 2u << 8u << 32u << 1u << 0u << "" << true;
    QTest::newRow("asked-to-stop is not spare") << "xx" << 0u << 2u << 8u << 32u << 2u << 2u << "" << false;
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
    QFETCH(QString, retire);
    QFETCH(bool, maxReached);
    const uint32_t capacity = picture == "WWW" || picture == "GGG_" ? 4 : 256;
    PoolLimits limits{minSpare, maxSpare, maxWorkers, 0, 0};
    const PoolView view = viewOf(picture, capacity, pending);
    PolicyState state = settled(view, rate);
    const Decision d = decide(view, limits, state);
    QCOMPARE(uint(d.spawn.size()), spawn);
    QCOMPARE(slotsText(d.retire), retire);
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
        spawned << uint32_t(d.spawn.size());
        QCOMPARE(slotsText(d.spawn).split(' ').first().toInt(), picture.size()); // the lowest free slots
        picture += QString(int(d.spawn.size()), QChar('S'));
    }
    QCOMPARE(spawned, (QList<uint32_t>{1, 2, 4, 8, 16, 32, 32}));
    limits.minSpare = 10;
    decide(viewOf(picture, 256, 0), limits, state);
    QCOMPARE(state.spawnRate, 1u);
}

void TestPoolPolicy::replaceAndRestart_data()
{
    QTest::addColumn<QString>("picture");
    QTest::addColumn<uint>("capacity");
    QTest::addColumn<uint>("target");     // what the pool aimed for before
    QTest::addColumn<uint>("generation"); // the generation that target was for (the view's is 2)
    QTest::addColumn<uint>("minSpare");
    QTest::addColumn<bool>("tick");
    QTest::addColumn<bool>("blocked"); // breaker open
    QTest::addColumn<QString>("spawn");
    QTest::addColumn<QString>("stopOld");
    QTest::addColumn<QString>("retire");
    QTest::addColumn<uint>("newTarget");
    QTest::addColumn<qlonglong>("retryInMs"); // -1: no retry wanted
    // base workers 2, max spare 2, max workers 8, spawn rate 1 throughout
    //                                         picture cap target gen min tick blocked spawn stopOld retire new retry
    QTest::newRow("dead worker replaced at once")
        << "_._" << 4u << 3u << 2u << 0u << false << false << "1" << "" << "" << 3u << -1LL;
    QTest::newRow("replacements ignore the spawn rate")
        << "" << 8u << 4u << 2u << 0u << false << false << "0 1 2 3" << "" << "" << 4u << -1LL;
    QTest::newRow("backing-off slot skipped")
        << "_b_" << 4u << 3u << 2u << 0u << false << false << "3" << "" << "" << 3u << -1LL;
    QTest::newRow("every free slot backing off")
        << "_bb" << 3u << 3u << 2u << 0u << false << false << "" << "" << "" << 3u << 1000LL;
    QTest::newRow("backoff: the slots that may be used now")
        << "b.b." << 4u << 4u << 2u << 0u << false << false << "1 3" << "" << "" << 4u << 1000LL;
    QTest::newRow("leaving worker keeps its place")
        << "_x" << 4u << 2u << 2u << 0u << false << false << "" << "" << "" << 2u << -1LL;
    QTest::newRow("breaker open: nothing forked")
        << "_." << 4u << 2u << 2u << 2u << true << true << "" << "" << "" << 2u << -1LL;
    QTest::newRow("first start at the base size")
        << "" << 8u << 0u << 0u << 0u << false << false << "0 1" << "" << "" << 2u << -1LL;
    QTest::newRow("reload: new generation first")
        << "oo" << 4u << 2u << 1u << 0u << false << false << "2 3" << "0 1" << "" << 2u << -1LL;
    QTest::newRow("reload, slots still held")
        << "oo" << 3u << 2u << 1u << 0u << false << false << "2" << "0 1" << "" << 2u << -1LL;
    QTest::newRow("reload forgets live growth")
        << "oooooo" << 8u << 6u << 1u << 0u << false << false << "6 7" << "0 1 2 3 4 5" << "" << 2u << -1LL;
    QTest::newRow("event: no growth for spares")
        << "WW" << 8u << 2u << 2u << 2u << false << false << "" << "" << "" << 2u << -1LL;
    QTest::newRow("tick: growth for spares")
        << "WW" << 8u << 2u << 2u << 2u << true << false << "2" << "" << "" << 3u << -1LL;
    QTest::newRow("event: no retiring of spares")
        << "____" << 8u << 4u << 2u << 0u << false << false << "" << "" << "" << 4u << -1LL;
    QTest::newRow("tick: one spare retired, highest first")
        << "____" << 8u << 4u << 2u << 0u << true << false << "" << "" << "3" << 3u << -1LL;
    QTest::newRow("tick: replacing comes before retiring")
        << "___." << 8u << 5u << 2u << 0u << true << false << "3 4" << "" << "" << 5u << -1LL;
}

void TestPoolPolicy::replaceAndRestart()
{
    QFETCH(QString, picture);
    QFETCH(uint, capacity);
    QFETCH(uint, target);
    QFETCH(uint, generation);
    QFETCH(uint, minSpare);
    QFETCH(bool, tick);
    QFETCH(bool, blocked);
    QFETCH(QString, spawn);
    QFETCH(QString, stopOld);
    QFETCH(QString, retire);
    QFETCH(uint, newTarget);
    QFETCH(qlonglong, retryInMs);
    PoolView view = viewOf(picture, capacity, 0);
    view.isTick = tick;
    PoolLimits limits{minSpare, 2, 8, 0, 0, 2};
    PolicyState state;
    state.target = target;
    state.generation = generation;
    state.respawnBlocked = blocked;
    const Decision d = decide(view, limits, state);
    QCOMPARE(slotsText(d.spawn), spawn);
    QCOMPARE(slotsText(d.stopOldGeneration), stopOld);
    QCOMPARE(slotsText(d.retire), retire);
    QCOMPARE(state.target, newTarget);
    QCOMPARE(state.generation, view.currentGeneration);
    QCOMPARE(d.retryAtNs == 0 ? -1LL : qlonglong((d.retryAtNs - view.nowNs) / 1'000'000), retryInMs);
}

void TestPoolPolicy::crashLoopHealth_data()
{
    QTest::addColumn<uint>("failuresBefore");
    QTest::addColumn<int>("reason");
    QTest::addColumn<qlonglong>("livedMs");
    QTest::addColumn<uint>("failures");
    QTest::addColumn<qlonglong>("delayMs"); // before the slot is used again
    const int Crashed = int(ExitReason::Crashed);
    QTest::newRow("first early crash: at once") << 0u << Crashed << 500LL << 1u << 0LL;
    QTest::newRow("second in a row") << 1u << Crashed << 500LL << 2u << 250LL;
    QTest::newRow("fourth in a row") << 3u << Crashed << 500LL << 4u << 1000LL;
    QTest::newRow("failed exit counts too") << 1u << int(ExitReason::Failed) << 500LL << 2u << 250LL;
    QTest::newRow("crash after a healthy life") << 5u << Crashed << 10000LL << 0u << 0LL;
    QTest::newRow("normal exit resets") << 4u << int(ExitReason::Normal) << 500LL << 0u << 0LL;
    QTest::newRow("killed by the parent resets") << 3u << int(ExitReason::Killed) << 0LL << 0u << 0LL;
}

void TestPoolPolicy::crashLoopHealth()
{
    QFETCH(uint, failuresBefore);
    QFETCH(int, reason);
    QFETCH(qlonglong, livedMs);
    QFETCH(uint, failures);
    QFETCH(qlonglong, delayMs);
    const int64_t now = 5000 * Second;
    const policy::SlotHealth after = policy::healthAfterExit({failuresBefore, now - Second}, ExitReason(reason),
                                                             livedMs * 1'000'000, now);
    QCOMPARE(after.consecutiveFailures, failures);
    QCOMPARE(qlonglong((after.notBeforeNs - now) / 1'000'000), delayMs);
    // The breaker opens only for a worker that can never work.
    QCOMPARE(policy::shouldRespawn(ExitReason(reason)), true);
    QVERIFY(!policy::shouldRespawn(ExitReason::FatalConfig));
}

void TestPoolPolicy::oldGenerationAndRecycle()
{
    PoolView view = viewOf("o_oW", 256, 0);
    view.workers[3].requests = 100;
    PoolLimits limits{1, 8, 32, 100, 0};
    PolicyState state = settled(view, 1);
    Decision d = decide(view, limits, state);
    QCOMPARE(d.stopOldGeneration, (std::vector<uint32_t>{0, 2}));
    QCOMPARE(d.recycle, (std::vector<uint32_t>{3}));
    // Slot 1 is a current spare; the recycled worker keeps its place until it has exited.
    QVERIFY(d.spawn.empty());
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
