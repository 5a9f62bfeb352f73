// Pure policy: respawn backoff, exit classification, BUSY hints, rate shares and chunk sizes.
#include "policy/exit_policy.h"
#include "worker/transfer.h"

#include <QTest>
#include <sys/wait.h>

using namespace ferry::server;

class TestPolicy : public QObject {
    Q_OBJECT
private slots:
    void respawnDelay_data()
    {
        QTest::addColumn<uint>("failures");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("healthy") << 0u << qint64(0);
        QTest::newRow("one-off crash") << 1u << qint64(0);
        QTest::newRow("second") << 2u << qint64(250);
        QTest::newRow("third") << 3u << qint64(500);
        QTest::newRow("sixth") << 6u << qint64(4000);
        QTest::newRow("ceiling") << 12u << qint64(30000);
        QTest::newRow("far past the ceiling") << 1000u << qint64(30000);
    }
    void respawnDelay()
    {
        QFETCH(uint, failures);
        QFETCH(qint64, ms);
        QCOMPARE(qint64(policy::respawnDelay(failures).count()), ms);
    }

    void classifyExit_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("killedByParent");
        QTest::addColumn<int>("reason");
        auto exited = [](int code) { return code << 8; };
        QTest::newRow("normal") << exited(0) << false << int(ExitReason::Normal);
        QTest::newRow("error") << exited(1) << false << int(ExitReason::Failed);
        QTest::newRow("fatal config") << exited(WorkerExit::FatalConfig) << false << int(ExitReason::FatalConfig);
        QTest::newRow("segfault") << SIGSEGV << false << int(ExitReason::Crashed);
        QTest::newRow("kill -9 by someone") << SIGKILL << false << int(ExitReason::Crashed);
        QTest::newRow("kill -9 by parent") << SIGKILL << true << int(ExitReason::Killed);
    }
    void classifyExit()
    {
        QFETCH(int, status);
        QFETCH(bool, killedByParent);
        QFETCH(int, reason);
        QCOMPARE(int(policy::classifyExit(status, killedByParent)), reason);
    }

    void failuresAndRespawn()
    {
        QVERIFY(policy::countsAsFailure(ExitReason::Crashed, 1'000'000'000));
        QVERIFY(!policy::countsAsFailure(ExitReason::Crashed, policy::HealthyLifetimeNs));
        QVERIFY(!policy::countsAsFailure(ExitReason::Normal, 0));
        QVERIFY(!policy::countsAsFailure(ExitReason::Killed, 0));
        QVERIFY(policy::shouldRespawn(ExitReason::Crashed));
        QVERIFY(policy::shouldRespawn(ExitReason::Normal));
        QVERIFY(!policy::shouldRespawn(ExitReason::FatalConfig));
    }

    void retryAfter_data()
    {
        QTest::addColumn<uint>("pending");
        QTest::addColumn<uint>("workers");
        QTest::addColumn<uint>("ms");
        QTest::newRow("empty queue") << 0u << 4u << 250u;
        QTest::newRow("16 per worker") << 64u << 4u << 1850u;
        QTest::newRow("no workers") << 10u << 0u << 1250u;
        QTest::newRow("capped") << 100000u << 1u << 10000u;
    }
    void retryAfter()
    {
        QFETCH(uint, pending);
        QFETCH(uint, workers);
        QFETCH(uint, ms);
        QCOMPARE(policy::retryAfterMs(pending, workers), ms);
    }

    void effectiveRate_data()
    {
        QTest::addColumn<quint64>("perConnection");
        QTest::addColumn<quint64>("global");
        QTest::addColumn<uint>("senders");
        QTest::addColumn<quint64>("rate");
        QTest::newRow("unlimited") << quint64(0) << quint64(0) << 3u << quint64(0);
        QTest::newRow("per connection") << quint64(1000) << quint64(0) << 3u << quint64(1000);
        QTest::newRow("global share") << quint64(0) << quint64(3000) << 3u << quint64(1000);
        QTest::newRow("tighter wins") << quint64(500) << quint64(3000) << 3u << quint64(500);
        QTest::newRow("share tighter") << quint64(5000) << quint64(3000) << 2u << quint64(1500);
        QTest::newRow("no sender yet") << quint64(0) << quint64(3000) << 0u << quint64(3000);
    }
    void effectiveRate()
    {
        QFETCH(quint64, perConnection);
        QFETCH(quint64, global);
        QFETCH(uint, senders);
        QFETCH(quint64, rate);
        QCOMPARE(quint64(ferry::server::effectiveRate(perConnection, global, senders)), rate);
    }

    void chunks()
    {
        QCOMPARE(chunkSize(10, 0), uint64_t(10));
        QCOMPARE(chunkSize(uint64_t(1) << 30, 0), uint64_t(2) << 20);
        QCOMPARE(chunkSize(uint64_t(1) << 30, 1'000'000), uint64_t(50'000));      // 50 ms of the rate
        QCOMPARE(chunkSize(uint64_t(1) << 30, 10), uint64_t(4 * 1024));           // a floor keeps syscalls sane
        QCOMPARE(chunkSize(uint64_t(1) << 30, uint64_t(1) << 30), uint64_t(2) << 20); // and a ceiling
        QCOMPARE(chunkSize(1000, 1'000'000), uint64_t(1000));                      // never past the end
    }
};

QTEST_GUILESS_MAIN(TestPolicy)
#include "tst_serverunit_policy.moc"
