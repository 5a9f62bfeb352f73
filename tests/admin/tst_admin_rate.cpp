// Rate limits changed on running transfers, against the real server: a cut keeps a download flowing at the
// new rate, a raise brings no burst, a global limit is shared with a download that starts later, and
// status shows each transfer's real speed (0 for one whose client stopped reading).
//
// Rates are measured on the client side, over windows of one or two seconds with tolerant bounds: what
// is asserted is what the old pacing got wrong by whole seconds (stalls) or whole multiples (bursts).
#include "admintestkit.h"

#include <QElapsedTimer>
#include <QTest>
#include <QThread>

#include <vector>

using ferry::admin::Json;
using namespace ferrytest;

namespace {

constexpr uint64_t MiB = 1024 * 1024;
constexpr uint64_t BigSize = 96 * MiB; // outlasts every phase below at the limits used
constexpr quint32 BigSeed = 11;

// The byte counts of running downloads, sampled every 20 ms on the test's clock.
class Sampler
{
public:
    explicit Sampler(std::vector<const Download *> downloads) : m_downloads(std::move(downloads)) { m_clock.start(); }

    int64_t nowMs() const { return m_clock.elapsed(); }
    // Samples for `ms` milliseconds. Measuring is the point here, not waiting for a condition.
    void run(int64_t ms)
    {
        const int64_t until = nowMs() + ms;
        while (nowMs() < until) {
            Sample s{nowMs(), {}};
            for (const Download *d : m_downloads)
                s.received.push_back(d->received());
            m_samples.push_back(std::move(s));
            QThread::msleep(20);
        }
    }
    // Bytes download `i` received between `fromMs` and `toMs` (the samples nearest before each).
    uint64_t bytes(size_t i, int64_t fromMs, int64_t toMs) const { return at(i, toMs) - at(i, fromMs); }
    // The fewest and the most bytes download `i` received in any `windowMs` window in [fromMs, toMs].
    std::pair<uint64_t, uint64_t> range(size_t i, int64_t fromMs, int64_t toMs, int64_t windowMs) const
    {
        uint64_t least = UINT64_MAX, most = 0;
        for (int64_t t = fromMs; t + windowMs <= toMs; t += 50) {
            least = std::min(least, bytes(i, t, t + windowMs));
            most = std::max(most, bytes(i, t, t + windowMs));
        }
        return {least, most};
    }

private:
    struct Sample {
        int64_t ms;
        std::vector<uint64_t> received;
    };
    uint64_t at(size_t i, int64_t ms) const
    {
        uint64_t value = 0;
        for (const Sample &s : m_samples) {
            if (s.ms > ms)
                break;
            value = s.received[i];
        }
        return value;
    }
    std::vector<const Download *> m_downloads;
    std::vector<Sample> m_samples;
    QElapsedTimer m_clock;
};

QString mib(uint64_t bytes) { return QString::number(double(bytes) / double(MiB), 'f', 2) + QStringLiteral(" MiB"); }

bool setRate(AdminConnection &admin, const char *key, uint64_t bytesPerSecond)
{
    auto reply = admin.call("rate_limit", Json{{key, int64_t(bytesPerSecond)}});
    return reply && (at(*reply, {"ok"}) == true);
}

// Lifts both limits when it goes out of scope, so a failed check does not leave a download crawling
// through the rest of its 96 MiB. Declare it after the downloads: it must run before they are joined.
struct LimitsLifted {
    AdminConnection &admin;
    ~LimitsLifted() { admin.call("rate_limit", Json{{"per_connection", 0}, {"global", 0}}); }
};

} // namespace

class TestAdminRate : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void perConnectionChangeHoldsFromNow();
    void globalLimitIsSharedWithALaterDownload();
    void statusShowsEachTransfersRealSpeed();
    void limitsHoldWithinTenPercentOverFiveSeconds();

private:
    TestTree m_tree;
};

void TestAdminRate::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("big.bin"), BigSize, BigSeed).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("big2.bin"), BigSize, BigSeed + 1).isEmpty());
}

// 1 s at 4 MiB/s, then cut to 1 MiB/s: the old pacing sent nothing for 3 s (the average had to come
// down); now every half second carries about half a MiB. Then raised to 8 MiB/s: the old pacing sent
// the "saved" difference at once; now every 1 s window holds 8 MiB within 20 %.
void TestAdminRate::perConnectionChangeHoldsFromNow()
{
    AdminTestServer server(m_tree.root(), {"--workers", "2", "--rate-limit", "4M"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    Download download(server.process(), "big.bin", BigSeed, BigSize);
    LimitsLifted lifted{*admin};
    QTRY_VERIFY_WITH_TIMEOUT(download.received() > 0, 10000);
    Sampler sampler({&download});
    sampler.run(1000);

    QVERIFY(setRate(*admin, "per_connection", 1 * MiB));
    const int64_t cut = sampler.nowMs();
    sampler.run(2500);
    const uint64_t afterCut = sampler.bytes(0, cut + 300, cut + 2300);
    QVERIFY2(afterCut >= 2 * MiB * 3 / 4 && afterCut <= 2 * MiB * 6 / 5, qPrintable(mib(afterCut) + " in 2 s"));
    const uint64_t leastHalf = sampler.range(0, cut + 300, cut + 2300, 500).first;
    QVERIFY2(leastHalf >= MiB / 4, qPrintable("a half second with only " + mib(leastHalf) + ": it stalled"));

    QVERIFY(setRate(*admin, "per_connection", 8 * MiB));
    const int64_t raise = sampler.nowMs();
    sampler.run(3000);
    const auto [least, most] = sampler.range(0, raise + 200, raise + 3000, 1000);
    QVERIFY2(most <= 8 * MiB * 6 / 5, qPrintable(mib(most) + " in one second: a burst"));
    QVERIFY2(least >= 8 * MiB * 3 / 4, qPrintable(mib(least) + " in one second"));

    QVERIFY(setRate(*admin, "per_connection", 0)); // the rest at full speed
    download.join();
    QVERIFY2(download.intact(), qPrintable(download.describe()));
}

// A global 4 MiB/s: one download has it all; a second one starts and both flow at about half (the old
// pacing froze the first one for seconds, as its share halved against its average).
void TestAdminRate::globalLimitIsSharedWithALaterDownload()
{
    AdminTestServer server(m_tree.root(), {"--workers", "3"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    QVERIFY(setRate(*admin, "global", 4 * MiB));
    Download first(server.process(), "big.bin", BigSeed, BigSize);
    LimitsLifted lifted{*admin};
    QTRY_VERIFY_WITH_TIMEOUT(first.received() > 0, 10000);
    Sampler alone({&first});
    alone.run(1500);
    const uint64_t firstAlone = alone.bytes(0, 300, 1300);
    QVERIFY2(firstAlone >= 4 * MiB * 3 / 4 && firstAlone <= 4 * MiB * 6 / 5, qPrintable(mib(firstAlone) + "/s alone"));

    Download second(server.process(), "big2.bin", BigSeed + 1, BigSize);
    LimitsLifted liftedForSecond{*admin};
    QTRY_VERIFY_WITH_TIMEOUT(second.received() > 0, 10000);
    Sampler both({&first, &second});
    both.run(2600);
    const uint64_t a = both.bytes(0, 300, 2300), b = both.bytes(1, 300, 2300);
    const QString seen = mib(a) + " and " + mib(b) + " in 2 s";
    QVERIFY2(a + b >= 8 * MiB * 4 / 5 && a + b <= 8 * MiB * 11 / 10, qPrintable(seen));
    QVERIFY2(a >= 4 * MiB * 2 / 3 && b >= 4 * MiB * 2 / 3, qPrintable(seen + ": not shared"));
    for (size_t i = 0; i < 2; ++i) {
        const uint64_t least = both.range(i, 300, 2300, 500).first;
        const QString seenHalf = QString("download %1: a half second with only %2").arg(i + 1).arg(mib(least));
        QVERIFY2(least >= MiB / 4, qPrintable(seenHalf));
    }

    QVERIFY(setRate(*admin, "global", 0));
    first.join();
    second.join();
    QVERIFY2(first.intact(), qPrintable(first.describe()));
    QVERIFY2(second.intact(), qPrintable(second.describe()));
}

// A download whose client stopped reading shows 0 bytes/s once its socket is full, though its bytes
// stay; one that flows under a 2 MiB/s limit shows about that (status used to leave speeds to the client,
// and Ferry Admin showed non-zero speeds for frozen rows).
void TestAdminRate::statusShowsEachTransfersRealSpeed()
{
    AdminTestServer server(m_tree.root(), {"--workers", "3"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    Download stalled(server.process(), "big2.bin", BigSeed + 1, BigSize, Download::Mode::Stall);
    Json worker = awaitWorkerServing(server, "big2.bin", 10000, [](const Json &w) {
        return intAt(w, {"bytes_sent"}) > 0 && intAt(w, {"throughput_bps"}) == 0;
    });
    QVERIFY(!worker.is_null());
    QCOMPARE(textAt(worker, {"state"}), std::string("sending"));

    QVERIFY(setRate(*admin, "per_connection", 2 * MiB));
    Download flowing(server.process(), "big.bin", BigSeed, BigSize);
    LimitsLifted lifted{*admin};
    worker = awaitWorkerServing(server, "big.bin", 10000, [](const Json &w) {
        return intAt(w, {"throughput_bps"}) > int64_t(MiB * 3 / 2)
               && intAt(w, {"throughput_bps"}) < int64_t(MiB * 5 / 2);
    });
    QVERIFY2(!worker.is_null(), "the flowing download never showed about 2 MiB/s");
    QCOMPARE(intAt(workerServing(server.status(), "big2.bin"), {"throughput_bps"}), int64_t(0));

    QVERIFY(setRate(*admin, "per_connection", 0));
    flowing.join();
    // The stalled client is cut off, then reads what its buffers hold up to the close.
    const int64_t connection = intAt(workerServing(server.status(), "big2.bin"), {"connection"});
    auto reply = admin->call("disconnect", Json{{"connection", connection}});
    QVERIFY(reply && (at(*reply, {"ok"}) == true));
    stalled.release();
    stalled.join();
    QVERIFY2(flowing.intact(), qPrintable(flowing.describe()));
}

// Accuracy as issue 20 states it: over 5 s, a per-connection limit cut on a running transfer, and a
// global limit shared by two transfers, are each met within 10 % (the tests above bound the stalls and
// bursts within shorter windows). Each window starts a moment after the change, once it has reached
// the worker (docs/ADMIN.md §5.5: within about 100 ms).
void TestAdminRate::limitsHoldWithinTenPercentOverFiveSeconds()
{
    const auto within10Percent = [](uint64_t bytes, uint64_t expected) {
        return bytes * 10 >= expected * 9 && bytes * 10 <= expected * 11;
    };
    AdminTestServer server(m_tree.root(), {"--workers", "3", "--rate-limit", "4M"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    Download first(server.process(), "big.bin", BigSeed, BigSize);
    LimitsLifted lifted{*admin};
    QTRY_VERIFY_WITH_TIMEOUT(first.received() >= 4 * MiB, 10000); // about a second at 4 MiB/s
    QVERIFY(setRate(*admin, "per_connection", 1 * MiB));
    Sampler cut({&first});
    cut.run(5300);
    const uint64_t afterCut = cut.bytes(0, 300, 5300);
    QVERIFY2(within10Percent(afterCut, 5 * MiB), qPrintable(mib(afterCut) + " in 5 s at 1 MiB/s"));

    QVERIFY(setRate(*admin, "per_connection", 0));
    QVERIFY(setRate(*admin, "global", 4 * MiB));
    Download second(server.process(), "big2.bin", BigSeed + 1, BigSize);
    LimitsLifted liftedForSecond{*admin};
    QTRY_VERIFY_WITH_TIMEOUT(second.received() > 0, 10000);
    Sampler both({&first, &second});
    both.run(5300);
    const uint64_t a = both.bytes(0, 300, 5300), b = both.bytes(1, 300, 5300);
    const QString seen = mib(a) + " and " + mib(b) + " in 5 s under a global 4 MiB/s";
    QVERIFY2(within10Percent(a + b, 20 * MiB) && within10Percent(a, 10 * MiB) && within10Percent(b, 10 * MiB),
             qPrintable(seen));

    QVERIFY(setRate(*admin, "global", 0));
    first.join();
    second.join();
    QVERIFY2(first.intact(), qPrintable(first.describe()));
    QVERIFY2(second.intact(), qPrintable(second.describe()));
}

QTEST_GUILESS_MAIN(TestAdminRate)
#include "tst_admin_rate.moc"
