// The download queue against the real ferry-server: concurrency, BUSY, folders, policies, progress, order.
#include "adminrequest.h"
#include "clienttesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "client/partfile.h"
#include "client/session.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QThread>

using namespace ferry::client;
using namespace clienttest;
using ferrytest::TestTree;

class TestClientEngine : public QObject
{
    Q_OBJECT
private slots:
    void twentyFilesThreeAtATime();
    void busyServerJobsWaitAndComplete();
    void nestedFoldersMirror();
    void existingFilePolicy_data();
    void existingFilePolicy();
    void progressIsCoalesced();
    void missingRemoteFileFails();
    void localNameWithNulFailsWritingNothing();
    void reorderingDecidesStartOrder();
    void closedPooledConnectionIsReopenedNotFailed();
};

void TestClientEngine::twentyFilesThreeAtATime()
{
    TestTree tree;
    QVERIFY(tree.isValid());
    QList<qint64> sizes;
    for (int i = 0; i < 20; ++i) {
        sizes << qint64(i) * 97 * 1024 + (i % 3 == 0 ? 0 : 777); // 0 bytes up to ~1.8 MiB
        QVERIFY(!tree.addFile(QStringLiteral("files/f%1.bin").arg(i), uint64_t(sizes.last()), quint32(i + 1))
                     .isEmpty());
    }
    ServerProcess server(tree.root(), {QStringLiteral("--workers"), QStringLiteral("4"),
                                       QStringLiteral("--rate-limit"), QStringLiteral("20000000")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    QCOMPARE(queue.maxConcurrent(), 3);
    int maxActive = 0;
    connect(&queue, &DownloadQueue::jobAdded, this, [&](DownloadJob *job, int) {
        connect(job, &DownloadJob::stateChanged, this, [&] { maxActive = std::max(maxActive, queue.activeCount()); });
    });
    for (int i = 0; i < 20; ++i)
        queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("files/f%1.bin").arg(i)), dest.path());
    QCOMPARE(queue.count(), 20);
    QVERIFY(waitForIdle(queue, 120000));
    QVERIFY2(maxActive <= 3, qPrintable(QString::number(maxActive)));
    QVERIFY(maxActive >= 2); // they did run side by side
    // Later jobs ride on the connections earlier ones finished with.
    QVERIFY2(queue.reusedConnections() >= 10, qPrintable(QString::number(queue.reusedConnections())));
    for (int i = 0; i < 20; ++i) {
        const DownloadJob *job = queue.jobAt(i);
        QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
        QString why;
        QVERIFY2(ferrytest::sameContent(tree.path(QStringLiteral("files/f%1.bin").arg(i)), job->localPath(), &why),
                 qPrintable(why));
        QVERIFY(!QFile::exists(job->partPath()));
        QVERIFY(!QFile::exists(PartFile::metaPathFor(job->localPath())));
    }
}

void TestClientEngine::busyServerJobsWaitAndComplete()
{
    TestTree tree;
    for (int i = 0; i < 6; ++i)
        QVERIFY(!tree.addFile(QStringLiteral("b%1.bin").arg(i), 3 * 1024 * 1024, quint32(100 + i)).isEmpty());
    ServerProcess server(tree.root(), {QStringLiteral("--workers"), QStringLiteral("1"),
                                       QStringLiteral("--max-workers"), QStringLiteral("1"),
                                       QStringLiteral("--max-pending"), QStringLiteral("0"),
                                       QStringLiteral("--rate-limit"), QStringLiteral("8000000")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    int busyWaits = 0;
    connect(&queue, &DownloadQueue::jobAdded, this, [&](DownloadJob *job, int) {
        connect(job, &DownloadJob::statusTextChanged, this, [&](const QString &text) {
            if (text.contains(QLatin1String("busy"), Qt::CaseInsensitive))
                ++busyWaits;
        });
    });
    for (int i = 0; i < 6; ++i)
        queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("b%1.bin").arg(i)), dest.path());
    QVERIFY(waitForIdle(queue, 120000));
    QVERIFY2(busyWaits > 0, "three jobs against one worker and no pending slots must meet BUSY");
    for (const DownloadJob *job : queue.jobs()) {
        QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
        QString why;
        QVERIFY2(ferrytest::sameContent(tree.path(job->url().path()), job->localPath(), &why), qPrintable(why));
    }
}

void TestClientEngine::nestedFoldersMirror()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("top/a.bin"), 1000, 1).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("top/one/b.bin"), 200000, 2).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("top/one/two/c.bin"), 0, 3).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("top/one/two/three/d.bin"), 1234567, 4).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("top/other/e e.bin"), 4096, 5).isEmpty());
    QVERIFY(!tree.addDir(QStringLiteral("top/empty/deeper")).isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    QSignalSpy failures(&queue, &DownloadQueue::addFailed);
    queue.add(urlFor(server.host(), server.port(), QStringLiteral("top")), dest.path());
    QVERIFY(waitForIdle(queue, 60000));
    QVERIFY2(failures.isEmpty(), failures.isEmpty() ? "" : qPrintable(failures.first().at(2).toString()));
    QCOMPARE(queue.count(), 5);
    const QString mirror = QDir(dest.path()).filePath(QStringLiteral("top"));
    QCOMPARE(treeListing(mirror), treeListing(tree.path(QStringLiteral("top"))));
    for (const QString &entry : treeListing(mirror)) {
        if (entry.endsWith(u'/'))
            continue;
        QString why;
        QVERIFY2(ferrytest::sameContent(tree.path(QStringLiteral("top/") + entry), QDir(mirror).filePath(entry), &why),
                 qPrintable(why));
    }
}

void TestClientEngine::existingFilePolicy_data()
{
    QTest::addColumn<QString>("policy");
    QTest::newRow("rename") << "rename";
    QTest::newRow("overwrite") << "overwrite";
    QTest::newRow("skip") << "skip";
    QTest::newRow("resume") << "resume";
}

void TestClientEngine::existingFilePolicy()
{
    QFETCH(QString, policy);
    TestTree tree;
    const qint64 size = 3 * 1024 * 1024 + 5;
    const QString remote = tree.addFile(QStringLiteral("doc.txt"), uint64_t(size), 11);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    const QString existing = dest.filePath(QStringLiteral("doc.txt"));
    const qint64 half = size / 2;
    QVERIFY(ferrytest::writePatternFile(existing, uint64_t(half), 11)); // a true prefix of the remote file

    DownloadQueue queue;
    queue.setExistingFilePolicy(*policyFromName(policy));
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("doc.txt")), dest.path());
    QVERIFY(waitForIdle(queue, 60000));
    QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
    QString why;
    if (policy == QLatin1String("rename")) {
        QCOMPARE(job->localPath(), dest.filePath(QStringLiteral("doc (1).txt")));
        QCOMPARE(QFileInfo(existing).size(), half);
        QVERIFY2(ferrytest::sameContent(remote, job->localPath(), &why), qPrintable(why));
    } else if (policy == QLatin1String("skip")) {
        QVERIFY(job->wasSkipped());
        QCOMPARE(QFileInfo(existing).size(), half);
    } else {
        QCOMPARE(job->localPath(), existing);
        QCOMPARE(job->resumedFrom(), policy == QLatin1String("resume") ? half : 0);
        QVERIFY2(ferrytest::sameContent(remote, existing, &why), qPrintable(why));
    }
}

void TestClientEngine::progressIsCoalesced()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("p.bin"), 8 * 1024 * 1024, 5).isEmpty());
    ServerProcess server(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("8000000")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("p.bin")), dest.path());
    QSignalSpy progress(job, &DownloadJob::progressChanged);
    QElapsedTimer timer;
    timer.start();
    QVERIFY(waitForIdle(queue, 60000));
    const qint64 elapsed = timer.elapsed();
    QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
    // Hundreds of socket reads, but at most ~10 signals a second (plus start and end).
    QVERIFY2(progress.size() <= elapsed / 100 + 4,
             qPrintable(QStringLiteral("%1 signals in %2 ms").arg(progress.size()).arg(elapsed)));
    QVERIFY(progress.size() >= 2);
    QCOMPARE(progress.last().at(0).toLongLong(), qint64(8 * 1024 * 1024));
}

void TestClientEngine::missingRemoteFileFails()
{
    TestTree tree;
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QTemporaryDir dest;
    DownloadQueue queue;
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("nope.bin")), dest.path());
    QVERIFY(waitForIdle(queue, 30000));
    QCOMPARE(job->state(), DownloadJob::State::Failed);
    QCOMPARE(job->error(), ErrorKind::RemoteError);
    QVERIFY(!job->errorString().isEmpty());
    QVERIFY(!QFile::exists(job->localPath()));
    QVERIFY(!QFile::exists(job->partPath()));
}

// A path with a NUL (as a file manager's URI can end in one) would name the final file where the .part
// belongs: the job refuses it before anything is written.
void TestClientEngine::localNameWithNulFailsWritingNothing()
{
    TestTree tree;
    tree.addFile(QStringLiteral("hello.bin"), 300000, 3);
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QTemporaryDir dest;
    DownloadQueue queue;
    const QString local = dest.filePath(QStringLiteral("hello.bin")) + QChar(0);
    DownloadJob *job = queue.addFileAs(urlFor(server.host(), server.port(), QStringLiteral("hello.bin")), local);
    QVERIFY(waitForIdle(queue, 30000));
    QCOMPARE(job->state(), DownloadJob::State::Failed);
    QCOMPARE(job->error(), ErrorKind::LocalError);
    QVERIFY2(job->errorString().contains(QStringLiteral("NUL character")), qPrintable(job->errorString()));
    QVERIFY(QDir(dest.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).isEmpty());
}

void TestClientEngine::reorderingDecidesStartOrder()
{
    TestTree tree;
    for (int i = 0; i < 4; ++i)
        QVERIFY(!tree.addFile(QStringLiteral("r%1.bin").arg(i), 100000, quint32(i + 1)).isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setMaxConcurrent(1);
    QStringList started;
    QSignalSpy moves(&queue, &DownloadQueue::jobMoved);
    QList<DownloadJob *> jobs;
    for (int i = 0; i < 4; ++i) {
        DownloadJob *job =
            queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("r%1.bin").arg(i)), dest.path());
        connect(job, &DownloadJob::stateChanged, this, [&started, job](DownloadJob::State state) {
            if (state == DownloadJob::State::Connecting && !started.contains(job->fileName()))
                started << job->fileName();
        });
        jobs << job;
    }
    // Nothing has started yet (jobs start from the event loop): reorder and hold one back.
    queue.move(jobs.at(3)->id(), 0);
    queue.pause(jobs.at(0)->id());
    QCOMPARE(moves.size(), 1);
    QCOMPARE(moves.first().at(1).toInt(), 3);
    QCOMPARE(moves.first().at(2).toInt(), 0);
    QCOMPARE(queue.jobAt(0), jobs.at(3));
    QVERIFY(waitForIdle(queue, 30000));
    QCOMPARE(started, QStringList({QStringLiteral("r3.bin"), QStringLiteral("r1.bin"), QStringLiteral("r2.bin")}));
    QCOMPARE(jobs.at(0)->state(), DownloadJob::State::Paused);
    queue.resume(jobs.at(0)->id());
    QVERIFY(waitForIdle(queue, 30000));
    QCOMPARE(jobs.at(0)->state(), DownloadJob::State::Done);
    // One after another, later jobs ride on the first one's connection (the server may
    // still close a parked connection at any time, so not necessarily all of them).
    QVERIFY2(queue.reusedConnections() >= 2, qPrintable(QString::number(queue.reusedConnections())));
}

// A kept-alive connection the server closed (its idle timeout) while it sat in the queue's pool: the
// next job takes it, finds it closed, and opens a fresh one without counting a failed attempt. With
// no connection retries allowed, counting one would fail the job.
void TestClientEngine::closedPooledConnectionIsReopenedNotFailed()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("a.bin"), 10000, 61).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("b.bin"), 10000, 62).isEmpty());
    ServerProcess server(tree.root(), {QStringLiteral("--idle-timeout"), QStringLiteral("1s")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QTemporaryDir dest;
    DownloadQueue queue;
    RetryPolicy noRetries = fastRetries();
    noRetries.maxConnectionRetries = 0;
    queue.setRetryPolicy(noRetries);
    const DownloadJob *first =
        queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("a.bin")), dest.path());
    QVERIFY(waitForIdle(queue, 30000));
    QVERIFY2(first->state() == DownloadJob::State::Done, qPrintable(describe(first)));

    // Wait for the server to park and then close the connection without running this thread's event
    // loop, so that the pool cannot see the close before the next job takes the connection.
    const auto parked = [&] {
        return ferrytest::adminStatus(server.adminSocketPath()).value("pool").toObject().value("parked").toInt();
    };
    QElapsedTimer clock;
    clock.start();
    bool wasParked = false;
    while (!(wasParked && parked() == 0) && clock.elapsed() < 10000) {
        wasParked = wasParked || parked() == 1;
        QThread::msleep(20);
    }
    QVERIFY2(wasParked && parked() == 0, "the server did not close the kept-alive connection");

    const int reusedBefore = queue.reusedConnections();
    const DownloadJob *second =
        queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("b.bin")), dest.path());
    QSignalSpy errors(second, &DownloadJob::errorOccurred);
    QVERIFY(waitForIdle(queue, 30000));
    QVERIFY2(second->state() == DownloadJob::State::Done, qPrintable(describe(second)));
    QCOMPARE(queue.reusedConnections(), reusedBefore + 1); // the closed connection was taken: the path ran
    QCOMPARE(second->attempts(), 1);
    QCOMPARE(errors.count(), 0);
    QString why;
    QVERIFY2(ferrytest::sameContent(tree.path(QStringLiteral("b.bin")), second->localPath(), &why), qPrintable(why));
}

QTEST_GUILESS_MAIN(TestClientEngine)
#include "tst_clientengine.moc"
