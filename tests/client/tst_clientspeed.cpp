// The client's own speed limits (per download, and shared by the queue) and queue
// order by force start, against a real server that sends as fast as it can.
#include "clienttesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include <QElapsedTimer>
#include <QTemporaryDir>

using namespace ferry::client;
using namespace clienttest;
using ferrytest::TestTree;

class TestClientSpeed : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void downloadHoldsItsOwnLimit();
    void queueLimitIsShared();
    void forceStartIgnoresTheConcurrencyLimit();
    void speedLimitIsSaved();

private:
    TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
};

namespace {

constexpr qint64 FileSize = 3 * 1024 * 1024 / 2; // 1.5 MiB
constexpr qint64 Limit = 512 * 1024;

} // namespace

void TestClientSpeed::initTestCase()
{
    QVERIFY(m_tree.isValid());
    for (int i = 0; i < 3; ++i)
        QVERIFY(!m_tree.addFile(QStringLiteral("f%1.bin").arg(i), FileSize, 70 + i).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root());
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

// 1.5 MiB at 512 KiB/s takes about three seconds, not the milliseconds loopback would.
void TestClientSpeed::downloadHoldsItsOwnLimit()
{
    QTemporaryDir dest;
    DownloadQueue queue;
    DownloadJob *job = queue.addFile(urlFor(m_server->host(), m_server->port(), QStringLiteral("f0.bin")), dest.path());
    job->setSpeedLimit(Limit);
    QElapsedTimer timer;
    timer.start();
    QVERIFY(waitForIdle(queue, 30000));
    const qint64 ms = timer.elapsed();
    QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
    const double expectedMs = 1000.0 * double(FileSize) / double(Limit);
    QVERIFY2(ms >= 0.8 * expectedMs, qPrintable(QStringLiteral("%1 ms").arg(ms)));
    QVERIFY2(ms <= 3.0 * expectedMs, qPrintable(QStringLiteral("%1 ms").arg(ms)));
}

// Two downloads under one queue limit together take as long as one at that limit twice.
void TestClientSpeed::queueLimitIsShared()
{
    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setSpeedLimit(Limit);
    QElapsedTimer timer;
    timer.start();
    for (int i = 1; i <= 2; ++i)
        queue.addFile(urlFor(m_server->host(), m_server->port(), QStringLiteral("f%1.bin").arg(i)), dest.path());
    QVERIFY(waitForIdle(queue, 30000));
    const qint64 ms = timer.elapsed();
    for (const DownloadJob *job : queue.jobs())
        QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
    const double expectedMs = 1000.0 * double(2 * FileSize) / double(Limit);
    QVERIFY2(ms >= 0.8 * expectedMs, qPrintable(QStringLiteral("%1 ms").arg(ms)));
    QVERIFY2(ms <= 3.0 * expectedMs, qPrintable(QStringLiteral("%1 ms").arg(ms)));
}

void TestClientSpeed::forceStartIgnoresTheConcurrencyLimit()
{
    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setMaxConcurrent(1);
    queue.setSpeedLimit(64 * 1024); // slow enough that the first is still running below
    QList<DownloadJob *> jobs;
    for (int i = 0; i < 3; ++i)
        jobs << queue.addFile(urlFor(m_server->host(), m_server->port(), QStringLiteral("f%1.bin").arg(i)),
                              dest.path());
    QTRY_COMPARE_WITH_TIMEOUT(jobs.at(0)->state(), DownloadJob::State::Transferring, 10000);
    QCOMPARE(jobs.at(2)->state(), DownloadJob::State::Queued);
    queue.forceStart(jobs.at(2)->id());
    QTRY_COMPARE_WITH_TIMEOUT(jobs.at(2)->state(), DownloadJob::State::Transferring, 10000);
    QCOMPARE(queue.activeCount(), 2);
    QCOMPARE(jobs.at(1)->state(), DownloadJob::State::Queued); // the limit still holds for the rest
    queue.pauseAll();
}

void TestClientSpeed::speedLimitIsSaved()
{
    QTemporaryDir dest;
    DownloadQueue queue;
    DownloadJob *job = queue.addFile(urlFor(QStringLiteral("127.0.0.1"), 1, QStringLiteral("x.bin")), dest.path());
    job->setSpeedLimit(300000);
    queue.pauseAll();
    DownloadQueue restarted;
    restarted.restoreState(queue.saveState());
    QCOMPARE(restarted.jobAt(0)->speedLimit(), qint64(300000));
}

QTEST_GUILESS_MAIN(TestClientSpeed)
#include "tst_clientspeed.moc"
