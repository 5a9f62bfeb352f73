// The client engine against the real ferry-server: queue, resume, BUSY, folders, policies.
#include "clienttesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "client/partfile.h"
#include "client/session.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>

#include <utime.h>

using namespace ferry::client;
using namespace clienttest;
using ferrytest::TestTree;

class TestClientEngine : public QObject
{
    Q_OBJECT
private slots:
    void twentyFilesThreeAtATime();
    void sessionListsFollowingPages();
    void sessionStatAndErrors();
    void sessionReconnectsAfterServerRestart();
    void resumesAfterServerKilled();
    void changedRemoteFileRestartsFromZero();
    void busyServerJobsWaitAndComplete();
    void diskFullFailsThenResumes();
    void nestedFoldersMirror();
    void queueStateSurvivesRestart();
    void pauseAndResumeKeepPart();
    void existingFilePolicy_data();
    void existingFilePolicy();
    void progressIsCoalesced();
    void missingRemoteFileFails();
    void reorderingDecidesStartOrder();
    void destinationFolderRemovedFails();

private:
    // Starts a download of `name` (rate-limited server) and returns once at least
    // `atLeast` bytes are on disk.
    bool downloadUntil(DownloadJob *job, qint64 atLeast, int timeoutMs);
};

bool TestClientEngine::downloadUntil(DownloadJob *job, qint64 atLeast, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (job->receivedBytes() < atLeast && !job->isFinished() && timer.elapsed() < timeoutMs)
        QTest::qWait(20);
    return job->receivedBytes() >= atLeast;
}

void TestClientEngine::twentyFilesThreeAtATime()
{
    TestTree tree;
    QVERIFY(tree.isValid());
    QList<qint64> sizes;
    for (int i = 0; i < 20; ++i) {
        sizes << qint64(i) * 97 * 1024 + (i % 3 == 0 ? 0 : 777); // 0 bytes up to ~1.8 MiB
        QVERIFY(!tree.addFile(QStringLiteral("files/f%1.bin").arg(i), uint64_t(sizes.last()), quint32(i + 1)).isEmpty());
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

void TestClientEngine::sessionListsFollowingPages()
{
    TestTree tree;
    QVERIFY(tree.addManyFiles(QStringLiteral("many"), 3000, QStringLiteral("entry")));
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    Session session;
    session.setServer(server.host(), server.port());
    QSignalSpy pages(&session, &Session::listPageReceived);
    const quint64 id = session.list(QStringLiteral("many"));
    QStringList names;
    QTRY_VERIFY_WITH_TIMEOUT(!pages.isEmpty() && pages.last().at(2).toBool(), 30000);
    for (const QList<QVariant> &page : pages) {
        QCOMPARE(page.at(0).toULongLong(), id);
        for (const RemoteEntry &entry : page.at(1).value<QList<RemoteEntry>>())
            names << entry.name;
    }
    QCOMPARE(names.size(), 3000);
    names.sort();
    QCOMPARE(names.first(), QStringLiteral("entry000000"));
    QCOMPARE(names.last(), QStringLiteral("entry002999"));
    QVERIFY2(pages.size() > 1, "3000 entries are expected to take more than one page");
    QCOMPARE(session.state(), Session::State::Ready);
}

void TestClientEngine::sessionStatAndErrors()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("dir/file.bin"), 12345, 7).isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    Session session;
    session.setServer(server.host(), server.port());
    QSignalSpy stats(&session, &Session::statReceived);
    QSignalSpy failures(&session, &Session::requestFailed);
    const quint64 fileId = session.stat(QStringLiteral("dir/file.bin"));
    const quint64 missingId = session.stat(QStringLiteral("dir/missing"));
    const quint64 dirId = session.stat(QStringLiteral("dir"));
    QTRY_COMPARE_WITH_TIMEOUT(stats.size() + failures.size(), 3, 15000);
    QCOMPARE(stats.size(), 2);
    QCOMPARE(stats.at(0).at(0).toULongLong(), fileId);
    const auto file = stats.at(0).at(1).value<RemoteEntry>();
    QVERIFY(file.isFile());
    QCOMPARE(file.size, qint64(12345));
    QCOMPARE(file.mtimeNs, ferrytest::fileMtimeNs(tree.path(QStringLiteral("dir/file.bin"))));
    QCOMPARE(stats.at(1).at(0).toULongLong(), dirId);
    QVERIFY(stats.at(1).at(1).value<RemoteEntry>().isDirectory());
    QCOMPARE(failures.at(0).at(0).toULongLong(), missingId);
    QCOMPARE(failures.at(0).at(1).value<ErrorKind>(), ErrorKind::RemoteError);
    QVERIFY(!session.serverAgent().isEmpty());
}

void TestClientEngine::sessionReconnectsAfterServerRestart()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("a.bin"), 10, 1).isEmpty());
    auto server = std::make_unique<ServerProcess>(tree.root());
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    const quint16 port = server->port();

    Session session;
    session.setServer(server->host(), port);
    QSignalSpy stats(&session, &Session::statReceived);
    session.stat(QStringLiteral("a.bin"));
    QVERIFY(stats.wait(15000));
    server->kill();
    server.reset();
    // Same port again: the engine reconnects on the next request by itself. The killed
    // workers may hold the listening socket for a moment while they die: try again then.
    QElapsedTimer waited;
    waited.start();
    do {
        server = std::make_unique<ServerProcess>(tree.root(), QStringList{QStringLiteral("--listen"),
                                                                          QStringLiteral("127.0.0.1:%1").arg(port)});
        if (server->start())
            break;
        QTest::qWait(100);
    } while (waited.elapsed() < 10000);
    QVERIFY2(server->isRunning(), qPrintable(server->diagnostics()));
    session.stat(QStringLiteral("a.bin"));
    QTRY_COMPARE_WITH_TIMEOUT(stats.size(), 2, 15000);
    QCOMPARE(session.state(), Session::State::Ready);
}

void TestClientEngine::resumesAfterServerKilled()
{
    TestTree tree;
    const qint64 size = 24 * 1024 * 1024;
    QVERIFY(!tree.addFile(QStringLiteral("big.bin"), uint64_t(size), 42).isEmpty());
    auto server = std::make_unique<ServerProcess>(
        tree.root(), QStringList{QStringLiteral("--rate-limit"), QStringLiteral("4000000")});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    DownloadJob *job = queue.addFile(urlFor(server->host(), server->port(), QStringLiteral("big.bin")), dest.path());
    QVERIFY2(downloadUntil(job, 3 * 1024 * 1024, 30000), qPrintable(describe(job)));
    server->kill();
    server.reset();
    // Disconnected: the job waits to retry, and the .part holds what had arrived.
    QTRY_VERIFY_WITH_TIMEOUT(job->state() == DownloadJob::State::Connecting, 10000);
    QVERIFY(PartFile::partSize(job->localPath()) >= 3 * 1024 * 1024);

    server = std::make_unique<ServerProcess>(tree.root());
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    job->setUrl(job->url().withServer(server->host(), server->port())); // the port changed
    QVERIFY(waitForIdle(queue, 60000));
    QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
    QVERIFY2(job->resumedFrom() >= 3 * 1024 * 1024, qPrintable(QString::number(job->resumedFrom())));
    QString why;
    QVERIFY2(ferrytest::sameContent(tree.path(QStringLiteral("big.bin")), job->localPath(), &why), qPrintable(why));
}

void TestClientEngine::changedRemoteFileRestartsFromZero()
{
    TestTree tree;
    const qint64 size = 16 * 1024 * 1024;
    const QString remote = tree.addFile(QStringLiteral("changing.bin"), uint64_t(size), 1);
    QVERIFY(!remote.isEmpty());
    auto server = std::make_unique<ServerProcess>(
        tree.root(), QStringList{QStringLiteral("--rate-limit"), QStringLiteral("4000000")});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    DownloadJob *job =
        queue.addFile(urlFor(server->host(), server->port(), QStringLiteral("changing.bin")), dest.path());
    QVERIFY2(downloadUntil(job, 2 * 1024 * 1024, 30000), qPrintable(describe(job)));
    server->kill();
    server.reset();

    // Same size, different bytes and mtime: only the recorded mtime can tell.
    QVERIFY(ferrytest::writePatternFile(remote, uint64_t(size), 2));
    const utimbuf times{1000000000, 1000000000};
    QCOMPARE(::utime(QFile::encodeName(remote).constData(), &times), 0);

    server = std::make_unique<ServerProcess>(tree.root());
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    job->setUrl(job->url().withServer(server->host(), server->port()));
    QVERIFY(waitForIdle(queue, 60000));
    QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
    QCOMPARE(job->resumedFrom(), qint64(0));
    QString why;
    QVERIFY2(ferrytest::sameContent(remote, job->localPath(), &why), qPrintable(why));
}

void TestClientEngine::busyServerJobsWaitAndComplete()
{
    TestTree tree;
    for (int i = 0; i < 6; ++i)
        QVERIFY(!tree.addFile(QStringLiteral("b%1.bin").arg(i), 3 * 1024 * 1024, quint32(100 + i)).isEmpty());
    ServerProcess server(tree.root(), {QStringLiteral("--workers"), QStringLiteral("1"), QStringLiteral("--max-workers"),
                                       QStringLiteral("1"), QStringLiteral("--max-pending"), QStringLiteral("0"),
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

void TestClientEngine::diskFullFailsThenResumes()
{
    TestTree tree;
    const qint64 size = 6 * 1024 * 1024;
    QVERIFY(!tree.addFile(QStringLiteral("six.bin"), uint64_t(size), 9).isEmpty());
    QTemporaryDir mountPoint;
    const QByteArray target = QFile::encodeName(mountPoint.path());
    const int mounted = QProcess::execute(QStringLiteral("mount"),
                                          {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                                           QStringLiteral("size=8m"), QStringLiteral("tmpfs"), mountPoint.path()});
    if (mounted != 0)
        QSKIP("mounting a small tmpfs needs root (mount -t tmpfs failed); cannot fill a disk safely otherwise");
    auto unmount = qScopeGuard([&] { QProcess::execute(QStringLiteral("umount"), {mountPoint.path()}); });

    // 5 MiB of filler leaves about 3 MiB: the 6 MiB download cannot fit.
    const QString filler = mountPoint.filePath(QStringLiteral("filler"));
    QVERIFY(ferrytest::writePatternFile(filler, 5 * 1024 * 1024, 3));
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    DownloadQueue queue;
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("six.bin")), mountPoint.path());
    QVERIFY(waitForIdle(queue, 60000));
    QVERIFY2(job->state() == DownloadJob::State::Failed, qPrintable(describe(job)));
    QCOMPARE(job->error(), ErrorKind::LocalError);
    QVERIFY2(job->errorString().contains(QLatin1String("no space"), Qt::CaseInsensitive), qPrintable(job->errorString()));
    const qint64 kept = PartFile::partSize(job->localPath());
    QVERIFY2(kept > 0, "the .part must stay for a later resume");

    QVERIFY(QFile::remove(filler));
    queue.retry(job->id());
    QVERIFY(waitForIdle(queue, 60000));
    QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
    QCOMPARE(job->resumedFrom(), kept);
    QString why;
    QVERIFY2(ferrytest::sameContent(tree.path(QStringLiteral("six.bin")), job->localPath(), &why), qPrintable(why));
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

void TestClientEngine::queueStateSurvivesRestart()
{
    TestTree tree;
    const qint64 size = 12 * 1024 * 1024;
    QVERIFY(!tree.addFile(QStringLiteral("persist.bin"), uint64_t(size), 77).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 5000, 78).isEmpty());
    ServerProcess server(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("4000000")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    QJsonArray saved;
    QString localPath;
    {
        DownloadQueue queue;
        DownloadJob *small = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("small.bin")), dest.path());
        DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("persist.bin")), dest.path());
        QVERIFY2(downloadUntil(job, 2 * 1024 * 1024, 30000), qPrintable(describe(job)));
        QTRY_VERIFY_WITH_TIMEOUT(small->state() == DownloadJob::State::Done, 15000);
        saved = queue.saveState();
        localPath = job->localPath();
    } // the "application" quits mid-download
    QVERIFY(PartFile::partSize(localPath) >= 2 * 1024 * 1024);

    DownloadQueue restored;
    restored.restoreState(saved);
    QCOMPARE(restored.count(), 2);
    QCOMPARE(restored.jobAt(0)->state(), DownloadJob::State::Done);
    DownloadJob *job = restored.jobAt(1);
    QCOMPARE(job->localPath(), localPath);
    QVERIFY(waitForIdle(restored, 60000));
    QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
    QVERIFY(job->resumedFrom() >= 2 * 1024 * 1024);
    QString why;
    QVERIFY2(ferrytest::sameContent(tree.path(QStringLiteral("persist.bin")), localPath, &why), qPrintable(why));
}

void TestClientEngine::pauseAndResumeKeepPart()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("p.bin"), 12 * 1024 * 1024, 5).isEmpty());
    ServerProcess server(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("4000000")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("p.bin")), dest.path());
    QVERIFY(downloadUntil(job, 1024 * 1024, 30000));
    queue.pause(job->id());
    QCOMPARE(job->state(), DownloadJob::State::Paused);
    QVERIFY(queue.isIdle());
    const qint64 atPause = PartFile::partSize(job->localPath());
    QVERIFY(atPause >= 1024 * 1024);
    queue.resume(job->id());
    QVERIFY(waitForIdle(queue, 60000));
    QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
    QCOMPARE(job->resumedFrom(), atPause);
    QString why;
    QVERIFY2(ferrytest::sameContent(tree.path(QStringLiteral("p.bin")), job->localPath(), &why), qPrintable(why));
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
        DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("r%1.bin").arg(i)), dest.path());
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
    QCOMPARE(queue.reusedConnections(), 3); // one connection carried all four, one after another
}

void TestClientEngine::destinationFolderRemovedFails()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("g.bin"), 8 * 1024 * 1024, 8).isEmpty());
    ServerProcess server(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("4000000")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    const QString folder = dest.filePath(QStringLiteral("sub"));
    DownloadQueue queue;
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("g.bin")), folder);
    QVERIFY2(downloadUntil(job, 1024 * 1024, 30000), qPrintable(describe(job)));
    QVERIFY(QDir(folder).removeRecursively());
    QVERIFY(waitForIdle(queue, 60000));
    QCOMPARE(job->state(), DownloadJob::State::Failed);
    QCOMPARE(job->error(), ErrorKind::LocalError);
    QVERIFY2(job->errorString().contains(QLatin1String("No such file or directory")), qPrintable(job->errorString()));
    QVERIFY(!QFile::exists(job->localPath())); // never a file where the folder was
}

QTEST_GUILESS_MAIN(TestClientEngine)
#include "tst_clientengine.moc"
