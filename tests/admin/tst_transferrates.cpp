// Per-transfer speed in status (server/admin/transfer_rates.h), from once-a-second samples.
#include "adminproto/transfer_rates.h"

#include <QTest>

using namespace ferry::admin;

namespace {

constexpr qint64 MiB = 1048576;

WorkerInfo sending(int64_t bytes, int64_t startMs = 10'000, int64_t connection = 7)
{
    WorkerInfo w;
    w.slot = 2;
    w.pid = 4250;
    w.state = "sending";
    w.connection = connection;
    w.bytesSent = bytes;
    w.transferStartMs = startMs;
    return w;
}

} // namespace

class TestTransferRates : public QObject {
    Q_OBJECT
private slots:
    // Samples at 11 s and 12 s of a transfer that began at 10 s; then `bytes` at `nowMs`.
    void rate_data()
    {
        QTest::addColumn<qint64>("sampled11"); // bytes at the 11 s sample
        QTest::addColumn<qint64>("sampled12");
        QTest::addColumn<qint64>("bytes");
        QTest::addColumn<qint64>("nowMs");
        QTest::addColumn<qint64>("rate");
        QTest::newRow("steady 1 MiB/s, asked between samples") << MiB << 2 * MiB << 5 * MiB / 2 << qint64(12'500)
                                                               << MiB;
        QTest::newRow("a second after the last sample") << MiB << 2 * MiB << 4 * MiB << qint64(13'000) << 2 * MiB;
        QTest::newRow("frozen since 11 s: 0, not a fading average") << MiB << MiB << MiB << qint64(12'500)
                                                                    << qint64(0);
        QTest::newRow("frozen since 12 s, asked at 13 s") << MiB << 2 * MiB << 2 * MiB << qint64(13'000)
                                                          << qint64(0);
    }
    void rate()
    {
        QFETCH(qint64, sampled11);
        QFETCH(qint64, sampled12);
        QFETCH(qint64, bytes);
        QFETCH(qint64, nowMs);
        QFETCH(qint64, rate);
        TransferRates rates;
        rates.record(11'000, {sending(sampled11)});
        rates.record(12'000, {sending(sampled12)});
        QCOMPARE(qint64(rates.rateOf(sending(bytes), nowMs)), rate);
    }

    void youngTransferShowsItsAverage()
    {
        TransferRates rates;
        QCOMPARE(qint64(rates.rateOf(sending(MiB / 2), 10'500)), MiB); // no sample yet: 0.5 MiB in 0.5 s
        rates.record(10'200, {sending(MiB / 5)});
        QCOMPARE(qint64(rates.rateOf(sending(MiB / 2), 10'500)), MiB); // the only sample is too recent
    }

    void aNewTransferStartsAfresh()
    {
        TransferRates rates;
        rates.record(11'000, {sending(8 * MiB)});
        rates.record(12'000, {sending(9 * MiB)});
        // The next request on the same connection, started at 12.2 s: nothing of the old one counts.
        QCOMPARE(qint64(rates.rateOf(sending(MiB / 4, 12'200), 12'450)), MiB);
        // Another connection on the same worker, likewise.
        QCOMPARE(qint64(rates.rateOf(sending(MiB / 4, 12'200, 8), 12'450)), MiB);
    }

    void noTransferNoRate()
    {
        TransferRates rates;
        WorkerInfo idle;
        idle.slot = 2;
        rates.record(11'000, {idle});
        QCOMPARE(qint64(rates.rateOf(idle, 12'000)), qint64(0));
    }
};

QTEST_GUILESS_MAIN(TestTransferRates)
#include "tst_transferrates.moc"
