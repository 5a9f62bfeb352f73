// Interrupted downloads against the real ferry-server: server killed, file changed, app restarted, paused,
// folder removed, and the Resume policy's adopted file when its job ends early. These are the unverified path's
// byte-granular resume (a server without manifests, or setVerify(false)); tst_clientverified has the verified one,
// tst_clientdiskfull a disk that fills up.
#include "clienttesthelpers.h"
#include "nodigestrelay.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include "client/partfile.h"
#include "client/session.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <fcntl.h>
#include <sys/stat.h>
#include <utime.h>

using namespace ferry::client;
using namespace clienttest;
using ferrytest::TestTree;

namespace {

// Runs `queue` to the end; empty when `job` is Done with the bytes of `remote`,
// otherwise what went wrong.
QString finishedWithContent(DownloadQueue &queue, const DownloadJob *job, const QString &remote)
{
    if (!waitForIdle(queue, 60000))
        return QStringLiteral("still busy after 60 s: ") + describe(job);
    if (job->state() != DownloadJob::State::Done)
        return describe(job);
    QString why;
    return ferrytest::sameContent(remote, job->localPath(), &why) ? QString() : why;
}

// True when the file at `path` holds the first bytes of the pattern file with `seed`.
bool isPatternPrefix(const QString &path, quint32 seed)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    ferrytest::PatternVerifier verifier(seed);
    while (!file.atEnd()) {
        const QByteArray chunk = file.read(1024 * 1024);
        if (chunk.isEmpty() || !verifier.update(chunk.constData(), size_t(chunk.size())))
            return false;
    }
    return true;
}

bool setMtimeNs(const QString &path, int64_t ns)
{
    const timespec when{time_t(ns / 1000000000), long(ns % 1000000000)};
    const timespec times[2] = {when, when};
    return ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, 0) == 0;
}

// Overwrites `length` bytes at `offset` of `path` in place with bytes of another pattern.
bool overwriteInPlace(const QString &path, qint64 offset, qint64 length, quint32 seed)
{
    QFile file(path);
    const QByteArray bytes = ferrytest::patternBytes(seed, uint64_t(offset), uint64_t(length));
    return file.open(QIODevice::ReadWrite) && file.seek(offset) && file.write(bytes) == bytes.size();
}

// A .part holding the first `partLength` bytes of `remote` (pattern `seed`) for `target`, with the
// metadata a download of `url` would have written: the remote file's current size and mtime.
bool writeResumablePart(const QString &target, const QString &remote, const FerryUrl &url, qint64 partLength,
                        quint32 seed)
{
    QString error;
    return ferrytest::writePatternFile(PartFile::partPathFor(target), uint64_t(partLength), seed)
        && PartFile::writeMeta(
            target, PartMeta{url.toString(), QFileInfo(remote).size(), ferrytest::fileMtimeNs(remote)}, &error);
}

} // namespace

class TestClientResume : public QObject
{
    Q_OBJECT
private slots:
    void resumesAfterServerKilled();
    void changedRemoteFileRestartsFromZero();
    void queueStateSurvivesRestart();
    void pauseAndResumeKeepPart();
    void destinationFolderRemovedFails();
    void damagedPartIsNotResumed_data();
    void damagedPartIsNotResumed();
    void changeBeforeVerifiedTailRestartsFromZero();
    void serverWithoutDigestChecksSizeAndMtime_data();
    void serverWithoutDigestChecksSizeAndMtime();
    void endedJobGivesBackUsersFile_data();
    void endedJobGivesBackUsersFile();
};

void TestClientResume::resumesAfterServerKilled()
{
    TestTree tree;
    const qint64 size = 24 * 1024 * 1024;
    QVERIFY(!tree.addFile(QStringLiteral("big.bin"), uint64_t(size), 42).isEmpty());
    auto server = std::make_unique<ServerProcess>(
        tree.root(), QStringList{QStringLiteral("--rate-limit"), QStringLiteral("4000000")});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setVerify(false); // this suite is the unverified path (see the top)
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
    const QString problem = finishedWithContent(queue, job, tree.path(QStringLiteral("big.bin")));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY2(job->resumedFrom() >= 3 * 1024 * 1024, qPrintable(QString::number(job->resumedFrom())));
}

void TestClientResume::changedRemoteFileRestartsFromZero()
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
    queue.setVerify(false); // this suite is the unverified path (see the top)
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
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(job->resumedFrom(), qint64(0));
}

void TestClientResume::queueStateSurvivesRestart()
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
        queue.setVerify(false); // this suite is the unverified path (see the top)
        DownloadJob *small =
            queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("small.bin")), dest.path());
        DownloadJob *job =
            queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("persist.bin")), dest.path());
        QVERIFY2(downloadUntil(job, 2 * 1024 * 1024, 30000), qPrintable(describe(job)));
        QTRY_VERIFY_WITH_TIMEOUT(small->state() == DownloadJob::State::Done, 15000);
        saved = queue.saveState();
        localPath = job->localPath();
    } // the "application" quits mid-download
    QVERIFY(PartFile::partSize(localPath) >= 2 * 1024 * 1024);

    DownloadQueue restored;

    restored.setVerify(false); // this suite is the unverified path (see the top)
    restored.restoreState(saved);
    QCOMPARE(restored.count(), 2);
    QCOMPARE(restored.jobAt(0)->state(), DownloadJob::State::Done);
    DownloadJob *job = restored.jobAt(1);
    QCOMPARE(job->localPath(), localPath);
    const QString problem = finishedWithContent(restored, job, tree.path(QStringLiteral("persist.bin")));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(job->resumedFrom() >= 2 * 1024 * 1024);
}

void TestClientResume::pauseAndResumeKeepPart()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("p.bin"), 12 * 1024 * 1024, 5).isEmpty());
    ServerProcess server(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("4000000")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setVerify(false); // this suite is the unverified path (see the top)
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("p.bin")), dest.path());
    QVERIFY(downloadUntil(job, 1024 * 1024, 30000));
    queue.pause(job->id());
    QCOMPARE(job->state(), DownloadJob::State::Paused);
    QVERIFY(queue.isIdle());
    const qint64 atPause = PartFile::partSize(job->localPath());
    QVERIFY(atPause >= 1024 * 1024);
    queue.resume(job->id());
    const QString problem = finishedWithContent(queue, job, tree.path(QStringLiteral("p.bin")));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(job->resumedFrom(), atPause);
}

void TestClientResume::destinationFolderRemovedFails()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("g.bin"), 8 * 1024 * 1024, 8).isEmpty());
    ServerProcess server(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("4000000")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    const QString folder = dest.filePath(QStringLiteral("sub"));
    DownloadQueue queue;
    queue.setVerify(false); // this suite is the unverified path (see the top)
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("g.bin")), folder);
    QVERIFY2(downloadUntil(job, 1024 * 1024, 30000), qPrintable(describe(job)));
    QVERIFY(QDir(folder).removeRecursively());
    QVERIFY(waitForIdle(queue, 60000));
    QCOMPARE(job->state(), DownloadJob::State::Failed);
    QCOMPARE(job->error(), ErrorKind::LocalError);
    QVERIFY2(job->errorString().contains(QLatin1String("No such file or directory")), qPrintable(job->errorString()));
    QVERIFY(!QFile::exists(job->localPath())); // never a file where the folder was
}

void TestClientResume::damagedPartIsNotResumed_data()
{
    QTest::addColumn<bool>("damaged");
    QTest::newRow("intact part resumes") << false;
    QTest::newRow("damaged part starts over") << true;
}

// The metadata matches (same size and mtime), so only the tail digest can tell that the
// part's bytes are not those of the remote file.
void TestClientResume::damagedPartIsNotResumed()
{
    QFETCH(bool, damaged);
    TestTree tree;
    const qint64 size = 5 * 1024 * 1024;
    const QString remote = tree.addFile(QStringLiteral("d.bin"), uint64_t(size), 21);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    ferrytest::TestClient probe;
    QVERIFY(probe.open(server.host(), server.port()).ok());
    std::string digest;
    const ferrytest::Status answer = probe.digest("d.bin", &digest);
    if (damaged && answer.is(ferry::proto::ErrorCode::Unsupported))
        QSKIP("this server build answers DIGEST with UNSUPPORTED: size and mtime are all a client can check");
    QVERIFY2(answer.ok() || answer.is(ferry::proto::ErrorCode::Unsupported), qPrintable(answer.toString()));

    QTemporaryDir dest;
    const QString target = dest.filePath(QStringLiteral("d.bin"));
    const qint64 partLength = 3 * 1024 * 1024 + 123;
    QVERIFY(ferrytest::writePatternFile(PartFile::partPathFor(target), uint64_t(partLength), damaged ? 22 : 21));
    const FerryUrl url = urlFor(server.host(), server.port(), QStringLiteral("d.bin"));
    QString error;
    QVERIFY(PartFile::writeMeta(target, PartMeta{url.toString(), size, ferrytest::fileMtimeNs(remote)}, &error));

    DownloadQueue queue;

    queue.setVerify(false); // this suite is the unverified path (see the top)
    DownloadJob *job = queue.addFile(url, dest.path());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(job->localPath(), target);
    QCOMPARE(job->resumedFrom(), damaged ? qint64(0) : partLength);
}

// The tail digest covers only the part's last MiB: a file rewritten before it (same size, new
// mtime) passes the digest, and only the recorded mtime can tell that the part is stale.
void TestClientResume::changeBeforeVerifiedTailRestartsFromZero()
{
    TestTree tree;
    const qint64 size = 6 * 1024 * 1024;
    const QString remote = tree.addFile(QStringLiteral("e.bin"), uint64_t(size), 23);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QTemporaryDir dest;
    const QString target = dest.filePath(QStringLiteral("e.bin"));
    const FerryUrl url = urlFor(server.host(), server.port(), QStringLiteral("e.bin"));
    const qint64 partLength = 3 * 1024 * 1024 + 77;
    QVERIFY(writeResumablePart(target, remote, url, partLength, 23));
    const int64_t recordedMtime = ferrytest::fileMtimeNs(remote);
    QVERIFY(overwriteInPlace(remote, 4096, 64 * 1024, 24)); // far before the part's last MiB
    QVERIFY(setMtimeNs(remote, recordedMtime + 5'000'000'000));

    DownloadQueue queue;

    queue.setVerify(false); // this suite is the unverified path (see the top)
    DownloadJob *job = queue.addFile(url, dest.path());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(job->resumedFrom(), qint64(0));
}

void TestClientResume::serverWithoutDigestChecksSizeAndMtime_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<bool>("resumes");
    QTest::newRow("unchanged file resumes") << "none" << true;
    QTest::newRow("rewritten, same size, new mtime: starts over") << "rewritten" << false;
    QTest::newRow("grown, same mtime: starts over") << "grown" << false;
}

// A server that answers DIGEST with UNSUPPORTED (a relay in front of the real one): the recorded
// size and mtime are then the only guard against resuming onto another file's bytes.
void TestClientResume::serverWithoutDigestChecksSizeAndMtime()
{
    QFETCH(QString, change);
    QFETCH(bool, resumes);
    TestTree tree;
    const qint64 size = 5 * 1024 * 1024;
    const QString remote = tree.addFile(QStringLiteral("n.bin"), uint64_t(size), 25);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    ferrytest::NoDigestRelay relay(server.host(), server.port());
    QVERIFY(relay.listen());

    QTemporaryDir dest;
    const QString target = dest.filePath(QStringLiteral("n.bin"));
    const FerryUrl url = urlFor(relay.host(), relay.port(), QStringLiteral("n.bin"));
    const qint64 partLength = 2 * 1024 * 1024 + 5;
    QVERIFY(writeResumablePart(target, remote, url, partLength, 25));
    const int64_t recordedMtime = ferrytest::fileMtimeNs(remote);
    if (change == QLatin1String("rewritten")) {
        QVERIFY(ferrytest::writePatternFile(remote, uint64_t(size), 26)); // the part's bytes are stale now
        QVERIFY(setMtimeNs(remote, recordedMtime + 5'000'000'000));
    } else if (change == QLatin1String("grown")) {
        QFile file(remote);
        QVERIFY(file.open(QIODevice::Append));
        QCOMPARE(file.write(QByteArray(4096, 'x')), qint64(4096));
        file.close();
        QVERIFY(setMtimeNs(remote, recordedMtime));
    }

    DownloadQueue queue;

    queue.setVerify(false); // this suite is the unverified path (see the top)
    DownloadJob *job = queue.addFile(url, dest.path());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY2(relay.digestsRefused() > 0, "the client never asked for a digest: the path under test did not run");
    QCOMPARE(job->resumedFrom(), resumes ? partLength : qint64(0));
}

void TestClientResume::endedJobGivesBackUsersFile_data()
{
    QTest::addColumn<QString>("ending");
    QTest::newRow("remote file missing") << "missing";
    QTest::newRow("server stopped mid-transfer") << "stopped";
    QTest::newRow("canceled mid-transfer") << "canceled";
}

// Under the Resume policy the user's existing file is the job's .part while it runs. However
// the job ends short of Done, the file is back under its own name, holding what the user had
// plus whatever arrived of the same remote file; and a retry adopts it again.
void TestClientResume::endedJobGivesBackUsersFile()
{
    QFETCH(QString, ending);
    constexpr quint32 Seed = 31;
    TestTree tree;
    const qint64 size = 12 * 1024 * 1024;
    const QString remote = tree.addFile(QStringLiteral("mine.bin"), uint64_t(size), Seed);
    QVERIFY(!remote.isEmpty());
    if (ending == QLatin1String("missing"))
        QVERIFY(QFile::remove(remote));
    auto server = std::make_unique<ServerProcess>(
        tree.root(), QStringList{QStringLiteral("--rate-limit"), QStringLiteral("4000000")});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));

    QTemporaryDir dest;
    const QString mine = dest.filePath(QStringLiteral("mine.bin"));
    const qint64 had = 1024 * 1024 + 17;
    QVERIFY(ferrytest::writePatternFile(mine, uint64_t(had), Seed)); // a true prefix of the remote file
    DownloadQueue queue;
    queue.setVerify(false); // this suite is the unverified path (see the top)
    RetryPolicy noRetries = fastRetries();
    noRetries.maxConnectionRetries = 0; // the first lost connection fails the job for good
    queue.setRetryPolicy(noRetries);
    queue.setExistingFilePolicy(ExistingFilePolicy::Resume);
    DownloadJob *job = queue.addFile(urlFor(server->host(), server->port(), QStringLiteral("mine.bin")), dest.path());
    if (ending != QLatin1String("missing")) {
        QVERIFY2(downloadUntil(job, had + 1024 * 1024, 30000), qPrintable(describe(job)));
        QVERIFY(!QFileInfo::exists(mine)); // meanwhile the file is the .part
        if (ending == QLatin1String("stopped"))
            server->kill();
        else
            queue.cancel(job->id());
    }
    QVERIFY(waitForIdle(queue, 60000));
    const auto expected =
        ending == QLatin1String("canceled") ? DownloadJob::State::Canceled : DownloadJob::State::Failed;
    QVERIFY2(job->state() == expected, qPrintable(describe(job)));

    QCOMPARE(job->localPath(), mine);
    QVERIFY2(QFileInfo::exists(mine), "the user's file must be back under its name");
    QVERIFY(!QFileInfo::exists(PartFile::partPathFor(mine)));
    QVERIFY(!QFileInfo::exists(PartFile::metaPathFor(mine)));
    const qint64 kept = QFileInfo(mine).size();
    QVERIFY2(ending == QLatin1String("missing") ? kept == had : kept > had, qPrintable(QString::number(kept)));
    QVERIFY(isPatternPrefix(mine, Seed));

    if (ending == QLatin1String("missing"))
        QVERIFY(!tree.addFile(QStringLiteral("mine.bin"), uint64_t(size), Seed).isEmpty());
    if (ending == QLatin1String("stopped")) {
        server = std::make_unique<ServerProcess>(tree.root());
        QVERIFY2(server->start(), qPrintable(server->diagnostics()));
        job->setUrl(job->url().withServer(server->host(), server->port()));
    }
    queue.retry(job->id());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(job->resumedFrom(), kept);
}

QTEST_GUILESS_MAIN(TestClientResume)
#include "tst_clientresume.moc"
