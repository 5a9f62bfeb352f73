// A queue waits out a server that went away, and is back at work the moment it
// answers: real server processes, a real refused port, nothing faked.
#include "clienttesthelpers.h"
#include "closedport.h"
#include "serverprocess.h"
#include "testtree.h"

#include <QRegularExpression>
#include <QTemporaryDir>

#include <memory>

using namespace ferry::client;
using namespace clienttest;
using ferrytest::TestTree;

namespace {

// Every wait 30 s exactly: long enough to watch it counted down, and the same for every job.
RetryPolicy waitingThirtySeconds()
{
    RetryPolicy policy;
    policy.baseBackoffMs = 30000;
    policy.maxBackoffMs = 30000;
    policy.jitter = 0;
    return policy;
}

using ferrytest::closedPort;

std::unique_ptr<ServerProcess> serverOn(const QString &root, quint16 port)
{
    return std::make_unique<ServerProcess>(root, QStringList{QStringLiteral("--listen"),
                                                             QStringLiteral("127.0.0.1:%1").arg(port)});
}

// The N of "Waiting for server (next try in N s): ..." or -1.
int secondsToNextTry(const DownloadJob *job)
{
    static const QRegularExpression pattern(QStringLiteral("^Waiting for server \\(next try in (\\d+) s\\)"));
    const QRegularExpressionMatch match = pattern.match(job->statusText());
    return match.hasMatch() ? match.captured(1).toInt() : -1;
}

} // namespace

class TestClientRetry : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void outageIsWaitedOut();
    void returningServerIsUsedAtOnce();
    void countdownStartsAtTheWaitAndDropsOncePerSecond();

private:
    TestTree m_tree;
};

void TestClientRetry::initTestCase()
{
    QVERIFY(m_tree.isValid());
    for (int i = 0; i < 4; ++i)
        QVERIFY(!m_tree.addFile(QStringLiteral("f%1.bin").arg(i), 100000 + i, 60 + i).isEmpty());
}

// Many more refused connections than the old five-in-a-row limit: no job gives up, the
// ones not started wait their turn, and all finish once the server is there.
void TestClientRetry::outageIsWaitedOut()
{
    const quint16 port = closedPort();
    QVERIFY(port != 0);
    QTemporaryDir dest;
    DownloadQueue queue;
    RetryPolicy quick; // the default limits, with short delays so the test is quick
    quick.baseBackoffMs = 20;
    quick.maxBackoffMs = 100;
    queue.setRetryPolicy(quick);
    queue.setMaxConcurrent(2);
    QList<DownloadJob *> jobs;
    for (int i = 0; i < 4; ++i)
        jobs << queue.addFile(urlFor(QStringLiteral("127.0.0.1"), port, QStringLiteral("f%1.bin").arg(i)), dest.path());
    QTRY_VERIFY_WITH_TIMEOUT(jobs.at(0)->attempts() >= 15 && jobs.at(1)->attempts() >= 15, 20000);
    for (const DownloadJob *job : jobs)
        QVERIFY2(job->state() != DownloadJob::State::Failed, qPrintable(describe(job)));
    QCOMPARE(jobs.at(2)->state(), DownloadJob::State::Queued);
    QCOMPARE(jobs.at(3)->state(), DownloadJob::State::Queued);
    QTRY_VERIFY2(secondsToNextTry(jobs.at(0)) >= 0, qPrintable(jobs.at(0)->statusText()));
    QVERIFY(jobs.at(0)->statusText().contains(QStringLiteral("refused"), Qt::CaseInsensitive));

    auto server = serverOn(m_tree.root(), port);
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    QVERIFY(waitForIdle(queue, 30000));
    for (const DownloadJob *job : jobs)
        QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
}

// Two jobs are in a long wait (30 s) when the server comes back; a third one added then
// gets through, and the two waiting ones go at once instead of sleeping on. The wait
// is counted down meanwhile.
void TestClientRetry::returningServerIsUsedAtOnce()
{
    const quint16 port = closedPort();
    QVERIFY(port != 0);
    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(waitingThirtySeconds());
    const QString loopback = QStringLiteral("127.0.0.1");
    DownloadJob *first = queue.addFile(urlFor(loopback, port, QStringLiteral("f0.bin")), dest.path());
    DownloadJob *second = queue.addFile(urlFor(loopback, port, QStringLiteral("f1.bin")), dest.path());
    // The long wait, not a short one. Its first figure stands for a second only, and a loaded machine may
    // first look at it later, so it is remembered and the countdown awaited from there (every figure:
    // countdownStartsAtTheWaitAndDropsOncePerSecond).
    QTRY_VERIFY_WITH_TIMEOUT(secondsToNextTry(first) > 25, 10000);
    const int shown = secondsToNextTry(first);
    QVERIFY2(shown <= 30, qPrintable(first->statusText()));
    QTRY_VERIFY_WITH_TIMEOUT(secondsToNextTry(second) > 0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(secondsToNextTry(first) < shown && secondsToNextTry(first) > 0, 5000);

    auto server = serverOn(m_tree.root(), port);
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    DownloadJob *third = queue.addFile(urlFor(loopback, port, QStringLiteral("f2.bin")), dest.path());
    QTRY_COMPARE_WITH_TIMEOUT(third->state(), DownloadJob::State::Done, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(first->state(), DownloadJob::State::Done, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(second->state(), DownloadJob::State::Done, 10000);
}

// Every figure the status text shows for a 30 s wait, with when it was shown: the first is 30 (not 31, as
// a coarse timer's rounded-up remaining time said), and each next one is one less, never before its
// second has passed. Only a tick the event loop ran more than a second late may skip a figure.
void TestClientRetry::countdownStartsAtTheWaitAndDropsOncePerSecond()
{
    const quint16 port = closedPort();
    QVERIFY(port != 0);
    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(waitingThirtySeconds());
    DownloadJob *job = queue.addFile(urlFor(QStringLiteral("127.0.0.1"), port, QStringLiteral("f0.bin")), dest.path());
    struct Shown {
        int seconds;
        qint64 atMs; // since the first figure
    };
    QList<Shown> shown;
    QElapsedTimer clock;
    connect(job, &DownloadJob::statusTextChanged, this, [&] {
        const int seconds = secondsToNextTry(job);
        if (seconds < 0)
            return;
        if (shown.isEmpty())
            clock.start();
        shown.append({seconds, clock.elapsed()});
    });
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().seconds <= 26, 15000);
    QCOMPARE(shown.first().seconds, 30);
    for (qsizetype i = 1; i < shown.size(); ++i) {
        const Shown &before = shown.at(i - 1), now = shown.at(i);
        const QString where = QStringLiteral("%1 s at %2 ms after %3 s at %4 ms")
                                  .arg(now.seconds).arg(now.atMs).arg(before.seconds).arg(before.atMs);
        QVERIFY2(now.seconds < before.seconds, qPrintable(where));
        QVERIFY2(now.seconds == before.seconds - 1 || now.atMs - before.atMs > 1500, qPrintable(where));
        QVERIFY2(now.atMs >= (30 - now.seconds) * 1000 - 20, qPrintable(where)); // not before its time
    }
}

QTEST_GUILESS_MAIN(TestClientRetry)
#include "tst_clientretry.moc"
