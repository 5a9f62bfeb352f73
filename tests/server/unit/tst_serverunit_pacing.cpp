// Rate pacing (server/worker/pacing.h): the schedule arithmetic in tables, then whole transfers on a
// simulated clock: a limit that changes mid-transfer holds in every 1 s window from the change on (no stall
// after a cut, no burst after a raise), a stalled client earns no burst, and a global limit is shared by
// the transfers in progress.
#include "worker/pacing.h"
#include "worker/transfer.h"

#include <QTest>

#include <algorithm>
#include <functional>
#include <vector>

using namespace ferry::server;

namespace {

constexpr qint64 Ms = 1000000; // qint64 (long long), as the data tables want it
constexpr qint64 Second = 1000 * Ms;
constexpr uint64_t MiB = 1024 * 1024;

struct Sent {
    int64_t atNs;
    uint64_t bytes;
};

// Bytes sent in [fromNs, fromNs + 1 s).
uint64_t inWindow(const std::vector<Sent> &log, int64_t fromNs)
{
    uint64_t sum = 0;
    for (const Sent &s : log)
        if (s.atNs >= fromNs && s.atNs < fromNs + Second)
            sum += s.bytes;
    return sum;
}

// The fewest and the most bytes over every 1 s window starting in [fromNs, toNs - 1 s], in 10 ms steps.
std::pair<uint64_t, uint64_t> windowRange(const std::vector<Sent> &log, int64_t fromNs, int64_t toNs)
{
    uint64_t least = UINT64_MAX, most = 0;
    for (int64_t t = fromNs; t + Second <= toNs; t += 10 * Ms) {
        uint64_t n = inWindow(log, t);
        least = std::min(least, n);
        most = std::max(most, n);
    }
    return {least, most};
}

// The worker sleeps at most this long before it re-reads the limits (transfer.cpp).
constexpr int64_t MaxPauseNs = 100 * Ms;
// What the socket takes when no limit holds it back: a send costs its bytes at this rate.
constexpr uint64_t LinkRate = 1024 * MiB;

// One greedy body under a per-connection limit that `rateAt` gives at each moment, as the worker runs
// it: set the rate, wait for the schedule (each wake-up `lateNs` late), send a chunk, pay for it.
std::vector<Sent> runOne(const std::function<uint64_t(int64_t)> &rateAt, int64_t untilNs, int64_t lateNs)
{
    std::vector<Sent> log;
    Pace pace;
    int64_t now = 0;
    while (now < untilNs) {
        pace.setRate(rateAt(now), now);
        for (int64_t at = pace.sendTimeNs(now); at > now; at = pace.sendTimeNs(now)) {
            now = std::min(at, now + MaxPauseNs) + lateNs;
            pace.setRate(rateAt(now), now); // re-read after the sleep, as the worker does
        }
        uint64_t chunk = chunkSize(UINT64_MAX, rateAt(now));
        log.push_back({now, chunk});
        pace.paid(now, chunk);
        now += billNs(chunk, LinkRate);
    }
    return log;
}

// The longest pause between two sends at or after `fromNs`.
int64_t longestGap(const std::vector<Sent> &log, int64_t fromNs)
{
    int64_t gap = 0;
    for (size_t i = 1; i < log.size(); ++i)
        if (log[i].atNs > fromNs)
            gap = std::max(gap, log[i].atNs - std::max(fromNs, log[i - 1].atNs));
    return gap;
}

} // namespace

class TestPacing : public QObject {
    Q_OBJECT
private slots:
    void bill_data()
    {
        QTest::addColumn<quint64>("bytes");
        QTest::addColumn<quint64>("rate");
        QTest::addColumn<qint64>("ns");
        QTest::newRow("one second") << quint64(MiB) << quint64(MiB) << Second;
        QTest::newRow("50 ms chunk") << quint64(50'000) << quint64(1'000'000) << 50 * Ms;
        QTest::newRow("rounded up") << quint64(1) << quint64(3) << qint64(333'333'334);
        QTest::newRow("no overflow") << (quint64(1) << 40) << (quint64(1) << 30) << 1024 * Second;
        QTest::newRow("saturates") << quint64(UINT64_MAX) << quint64(1) << qint64(INT64_MAX);
    }
    void bill()
    {
        QFETCH(quint64, bytes);
        QFETCH(quint64, rate);
        QFETCH(qint64, ns);
        QCOMPARE(qint64(billNs(bytes, rate)), ns);
    }

    void schedule_data()
    {
        QTest::addColumn<qint64>("paidUntil");
        QTest::addColumn<qint64>("now");
        QTest::addColumn<qint64>("sendAt");
        QTest::addColumn<qint64>("paidAfter"); // once 1000 bytes at 1000 B/s went at sendAt
        QTest::newRow("on schedule") << Second << Second << Second << 2 * Second;
        QTest::newRow("ahead: wait") << 3 * Second << Second << 3 * Second - PaceToleranceNs << 4 * Second;
        QTest::newRow("within the tolerance: go") << Second + 5 * Ms << Second << Second << 2 * Second + 5 * Ms;
        QTest::newRow("idle: no credit") << Second << 10 * Second << 10 * Second << 11 * Second;
    }
    void schedule()
    {
        QFETCH(qint64, paidUntil);
        QFETCH(qint64, now);
        QFETCH(qint64, sendAt);
        QFETCH(qint64, paidAfter);
        QCOMPARE(qint64(sendTimeNs(paidUntil, now)), sendAt);
        QCOMPARE(qint64(ferry::server::paidAfter(paidUntil, sendAt, 1000, 1000)), paidAfter);
    }

    void reschedule_data()
    {
        QTest::addColumn<qint64>("paidUntil");
        QTest::addColumn<quint64>("oldRate");
        QTest::addColumn<quint64>("newRate");
        QTest::addColumn<qint64>("after"); // now = 1 s
        QTest::newRow("cut: the debt stays, in time") << Second + 50 * Ms << quint64(4 * MiB) << quint64(MiB)
                                                      << Second + 50 * Ms;
        QTest::newRow("raise: paid at the new rate") << Second + 80 * Ms << quint64(MiB) << quint64(8 * MiB)
                                                     << Second + 10 * Ms;
        QTest::newRow("raise, nothing owed") << Second - 5 * Ms << quint64(MiB) << quint64(8 * MiB)
                                             << Second - 5 * Ms;
        QTest::newRow("to unlimited") << 5 * Second << quint64(MiB) << quint64(0) << Second;
        QTest::newRow("from unlimited: a fresh start") << 0ll << quint64(0) << quint64(MiB) << Second;
        QTest::newRow("unchanged") << 2 * Second << quint64(MiB) << quint64(MiB) << 2 * Second;
    }
    void reschedule()
    {
        QFETCH(qint64, paidUntil);
        QFETCH(quint64, oldRate);
        QFETCH(quint64, newRate);
        QFETCH(qint64, after);
        QCOMPARE(qint64(rescheduled(paidUntil, Second, oldRate, newRate)), after);
    }

    // The defect this pacing replaces: measured against the average since the start, a cut to 1 MiB/s
    // after 4 s at 4 MiB/s stalled the body for 12 s, and a raise sent the "saved" bytes in one burst.
    void limitChangedMidTransfer_data()
    {
        QTest::addColumn<quint64>("before");
        QTest::addColumn<quint64>("after");
        QTest::addColumn<qint64>("lateNs"); // how late each wake-up comes
        QTest::newRow("cut 4M to 1M") << quint64(4 * MiB) << quint64(MiB) << 0ll;
        QTest::newRow("raise 1M to 8M") << quint64(MiB) << quint64(8 * MiB) << 0ll;
        QTest::newRow("cut 8M to 16k") << quint64(8 * MiB) << quint64(16 * 1024) << 0ll;
        QTest::newRow("raise 16k to 8M") << quint64(16 * 1024) << quint64(8 * MiB) << 0ll;
        QTest::newRow("unlimited to 1M") << quint64(0) << quint64(MiB) << 0ll;
        QTest::newRow("1M to unlimited") << quint64(MiB) << quint64(0) << 0ll;
        QTest::newRow("cut, wake-ups 2 ms late") << quint64(4 * MiB) << quint64(MiB) << 2 * Ms;
        QTest::newRow("raise, wake-ups 8 ms late") << quint64(MiB) << quint64(8 * MiB) << 8 * Ms;
    }
    void limitChangedMidTransfer()
    {
        QFETCH(quint64, before);
        QFETCH(quint64, after);
        QFETCH(qint64, lateNs);
        const int64_t changeAt = 4 * Second;
        auto rateAt = [&](int64_t t) { return t >= changeAt ? after : before; };
        std::vector<Sent> log = runOne(rateAt, 10 * Second, lateNs);
        // Every window that starts once a sleeping body has re-read the limit holds the new limit within
        // 10 % (the chunk is 50 ms of the rate, the tolerance 10 ms); at 16k/s a 4 KiB chunk is a quarter
        // of a second.
        auto [least, most] = windowRange(log, changeAt + MaxPauseNs, 10 * Second);
        const double slack = after < 64 * 1024 ? 0.3 : 0.1;
        const double expected = double(after != 0 ? after : LinkRate);
        QVERIFY2(double(least) >= expected * (1 - slack), qPrintable(QString::number(least)));
        QVERIFY2(double(most) <= expected * (1 + slack), qPrintable(QString::number(most)));
        // And it keeps flowing: never a pause longer than the slowest chunk's time.
        const int64_t gap = longestGap(log, changeAt);
        QVERIFY2(gap <= 300 * Ms, qPrintable(QString("a pause of %1 ms").arg(gap / Ms)));
    }

    // A client that reads nothing for 2 s (the worker waits for the socket, not for its schedule) earns
    // no credit: once it reads again the body goes on at the limit, it does not catch up in a burst.
    void clientStallEarnsNoBurst()
    {
        const uint64_t rate = MiB;
        Pace pace;
        pace.setRate(rate, 0);
        std::vector<Sent> log;
        for (int64_t now = 0; now < 8 * Second;) {
            if (now >= 2 * Second && now < 4 * Second) {
                now = 4 * Second; // blocked in waitWritable() until the client reads again
                continue;
            }
            now = std::max(now, pace.sendTimeNs(now));
            uint64_t chunk = chunkSize(UINT64_MAX, rate);
            log.push_back({now, chunk});
            pace.paid(now, chunk);
            now += billNs(chunk, LinkRate);
        }
        auto [least, most] = windowRange(log, 4 * Second, 8 * Second);
        QVERIFY2(most <= rate * 1.1, qPrintable(QString("%1 bytes in a second after the stall").arg(most)));
        QVERIFY(least >= rate * 0.9);
    }

    // Greedy transfers reserving chunks from one shared schedule, on a simulated clock; `perConnection`
    // of the second caps it below its share (a slow client): the first gets what it leaves.
    void globalLimitIsShared_data()
    {
        QTest::addColumn<quint64>("global");
        QTest::addColumn<quint64>("secondCap");
        QTest::addColumn<double>("firstShare");
        QTest::newRow("two greedy: halves") << quint64(4 * MiB) << quint64(0) << 0.5;
        QTest::newRow("second capped at 1M: 3M for the first") << quint64(4 * MiB) << quint64(MiB) << 0.75;
    }
    void globalLimitIsShared()
    {
        QFETCH(quint64, global);
        QFETCH(quint64, secondCap);
        QFETCH(double, firstShare);
        std::atomic<int64_t> shared{0};
        struct Body {
            Pace own;
            int64_t nextNs;
            std::vector<Sent> log;
        };
        Body bodies[2];
        bodies[0].nextNs = 0;
        bodies[1].nextNs = 2 * Second; // the second download starts 2 s into the first
        bodies[1].own.setRate(secondCap, 0);
        const int64_t until = 8 * Second;
        for (;;) {
            Body &b = bodies[0].nextNs <= bodies[1].nextNs ? bodies[0] : bodies[1];
            if (b.nextNs >= until)
                break;
            if (int64_t own = b.own.sendTimeNs(b.nextNs); own > b.nextNs) {
                b.nextNs = own; // waits for its own limit first, then reserves: events stay in time order
                continue;
            }
            const int64_t now = b.nextNs;
            uint32_t senders = now >= 2 * Second ? 2 : 1;
            uint64_t chunk = chunkSize(UINT64_MAX, effectiveRate(b.own.rate(), global, senders));
            int64_t start = reserveShared(shared, now, chunk, global);
            b.log.push_back({start, chunk});
            b.own.paid(now, chunk); // at its own turn: the wait for the global one is not its own limit's
            b.nextNs = start + billNs(chunk, LinkRate); // sends, then comes back for the next chunk
        }
        std::vector<Sent> all = bodies[0].log;
        all.insert(all.end(), bodies[1].log.begin(), bodies[1].log.end());
        auto [leastAll, mostAll] = windowRange(all, 0, until);
        QVERIFY2(mostAll <= global * 1.1 && leastAll >= global * 0.9,
                 qPrintable(QString("total %1..%2").arg(leastAll).arg(mostAll)));
        // Before the second starts, the first has it all; after, the shares.
        auto [least0, most0] = windowRange(bodies[0].log, 0, 2 * Second);
        QVERIFY(least0 >= global * 0.9);
        auto [least1, most1] = windowRange(bodies[0].log, 2 * Second, until);
        QVERIFY2(least1 >= global * firstShare * 0.85 && most1 <= global * firstShare * 1.15,
                 qPrintable(QString("first %1..%2").arg(least1).arg(most1)));
        auto [least2, most2] = windowRange(bodies[1].log, 2 * Second, until);
        QVERIFY2(least2 >= global * (1 - firstShare) * 0.85 && most2 <= global * (1 - firstShare) * 1.15,
                 qPrintable(QString("second %1..%2").arg(least2).arg(most2)));
    }

    void refundGivesBackTheUnsentPart()
    {
        std::atomic<int64_t> shared{0};
        QCOMPARE(qint64(reserveShared(shared, Second, 1000, 1000)), Second);
        QCOMPARE(qint64(shared.load()), 2 * Second);
        refundShared(shared, 400, 1000); // the socket took 600 bytes
        QCOMPARE(qint64(shared.load()), 2 * Second - 400 * Ms);
        rescheduleShared(shared, Second, 1000, 3000); // a raise: 600 ms owed at 1000 B/s is 200 ms at 3000
        QCOMPARE(qint64(shared.load()), Second + 200 * Ms);
    }
};

QTEST_GUILESS_MAIN(TestPacing)
#include "tst_serverunit_pacing.moc"
