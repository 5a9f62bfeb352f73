// The engine with a server list (ferry://a,b/path) against real servers: a verified download that
// loses its server continues on the next one only when that server has the same file (same manifest
// root, whatever its mtime), refuses one with a different version and keeps its .part, and a browsing
// Session moves to the next server on a refused connection, BUSY, or a server lost between requests.
#include "adminrequest.h"
#include "closedport.h"
#include "clienttesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "client/partfile.h"
#include "client/session.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QTemporaryDir>

#include <fcntl.h>
#include <sys/stat.h>

using namespace ferry::client;
using namespace clienttest;
using ferrytest::TestTree;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr qint64 Chunk = 4 * MiB; // the server's chunk size (PROTOCOL.md §10.1)
constexpr qint64 FileSize = 6 * Chunk;

using ferrytest::closedPort;

QList<ServerAddress> loopback(const QList<quint16> &ports)
{
    QList<ServerAddress> servers;
    for (quint16 port : ports)
        servers.append({QStringLiteral("127.0.0.1"), port});
    return servers;
}

FerryUrl listUrl(const QList<quint16> &ports, const QString &path)
{
    return FerryUrl(QStringLiteral("127.0.0.1"), ports.first(), path).withServers(loopback(ports));
}

bool setMtimeNs(const QString &path, int64_t ns)
{
    const timespec when{time_t(ns / 1000000000), long(ns % 1000000000)};
    const timespec times[2] = {when, when};
    return ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, 0) == 0;
}

// One slow stream: the download is still early when a test kills its server.
QStringList slowServer()
{
    return {QStringLiteral("--rate-limit"), QStringLiteral("4M"), QStringLiteral("--streams-per-client"),
            QStringLiteral("1")};
}

// Waits until the .part's metadata records at least one verified chunk (on disk, fdatasync'ed).
bool someChunkRecorded(const QString &localPath, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        const auto meta = PartFile::readMeta(localPath);
        if (meta && !meta->verified.isEmpty())
            return true;
        QTest::qWait(20);
    }
    return false;
}

bool waitFinished(DownloadJob *job, int timeoutMs)
{
    if (job->isFinished())
        return true;
    QSignalSpy spy(job, &DownloadJob::finished);
    return spy.wait(timeoutMs) || job->isFinished();
}

// The first `length` bytes of `path`.
QByteArray head(const QString &path, qint64 length)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.read(length) : QByteArray();
}

} // namespace

class TestClientServerList : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        if (ServerProcess::defaultProgram().isEmpty())
            QSKIP("ferry-server is not built in this tree");
    }

    void lostServerContinuesOnACopyWithAnotherMtime()
    {
        // Copies rarely keep mtimes: the manifest root says the bytes are the same, so the chunks stay.
        TestTree treeA, treeB;
        const QString fileA = treeA.addFile("big.bin", FileSize, 7);
        const QString fileB = treeB.addFile("big.bin", FileSize, 7);
        QVERIFY(setMtimeNs(fileB, ferrytest::fileMtimeNs(fileA) - 86400LL * 1000000000));
        ServerProcess a(treeA.root(), slowServer()), b(treeB.root());
        QVERIFY2(a.start() && b.start(), qPrintable(a.diagnostics() + b.diagnostics()));
        QTemporaryDir out;
        DownloadJob job(listUrl({a.port(), b.port()}, "big.bin"), out.filePath("big.bin"),
                        ExistingFilePolicy::Overwrite);
        job.setRetryPolicy(fastRetries());
        job.start();
        QVERIFY2(someChunkRecorded(job.localPath(), 20000), qPrintable(describe(&job)));
        a.kill();
        QVERIFY2(waitFinished(&job, 60000), qPrintable(describe(&job)));
        QVERIFY2(job.state() == DownloadJob::State::Done, qPrintable(describe(&job)));
        QVERIFY(job.isVerified());
        QVERIFY2(job.resumedFrom() >= Chunk, qPrintable(QString::number(job.resumedFrom()))); // A's chunks kept
        QString why;
        QVERIFY2(ferrytest::sameContent(fileA, job.localPath(), &why), qPrintable(why));
    }

    void lostServerRefusesADifferentVersion()
    {
        // B has another file under the same name and of the same size: continuing there would mix two
        // versions, starting over would throw A's verified chunks away. The job fails saying so.
        TestTree treeA, treeB;
        const QString fileA = treeA.addFile("big.bin", FileSize, 7);
        treeB.addFile("big.bin", FileSize, 8);
        ServerProcess a(treeA.root(), slowServer()), b(treeB.root());
        QVERIFY2(a.start() && b.start(), qPrintable(a.diagnostics() + b.diagnostics()));
        QTemporaryDir out;
        DownloadJob job(listUrl({a.port(), b.port()}, "big.bin"), out.filePath("big.bin"),
                        ExistingFilePolicy::Overwrite);
        job.setRetryPolicy(fastRetries());
        job.start();
        QVERIFY2(someChunkRecorded(job.localPath(), 20000), qPrintable(describe(&job)));
        const auto before = PartFile::readMeta(job.localPath());
        a.kill();
        QVERIFY2(waitFinished(&job, 60000), qPrintable(describe(&job)));
        QCOMPARE(job.state(), DownloadJob::State::Failed);
        QCOMPARE(job.error(), ErrorKind::RemoteError);
        const QString serverB = QStringLiteral("127.0.0.1:%1").arg(b.port());
        QVERIFY2(job.errorString().contains("different version") && job.errorString().contains(serverB)
                     && job.errorString().contains("manifest root"),
                 qPrintable(job.errorString()));
        QVERIFY(!QFileInfo::exists(job.localPath())); // nothing unverified or mixed in place
        // The .part is still A's: its records name A and A's root, and its first chunk is A's bytes.
        const auto after = PartFile::readMeta(job.localPath());
        QVERIFY(after.has_value());
        QCOMPARE(after->server, QStringLiteral("127.0.0.1:%1").arg(a.port()));
        QCOMPARE(after->root, before->root);
        QVERIFY(!after->verified.isEmpty());
        QVERIFY(head(job.partPath(), Chunk) == head(fileA, Chunk));

        // As the message says: retried once A is back (on its address), the download ends there, A's file.
        ServerProcess again(treeA.root(), {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(a.port())});
        QVERIFY2(again.start(), qPrintable(again.diagnostics()));
        job.retry();
        job.start();
        QVERIFY2(waitFinished(&job, 60000), qPrintable(describe(&job)));
        QVERIFY2(job.state() == DownloadJob::State::Done && job.isVerified(), qPrintable(describe(&job)));
        QVERIFY2(job.resumedFrom() >= Chunk, qPrintable(QString::number(job.resumedFrom())));
        QString why;
        QVERIFY2(ferrytest::sameContent(fileA, job.localPath(), &why), qPrintable(why));
    }

    void differentVersionIsPassedOverForTheNextServer()
    {
        // A, B (another version), C (the same file): the download ends on C, B named as dropped.
        TestTree treeA, treeB, treeC;
        const QString fileA = treeA.addFile("big.bin", FileSize, 7);
        treeB.addFile("big.bin", FileSize, 8);
        treeC.addFile("big.bin", FileSize, 7);
        ServerProcess a(treeA.root(), slowServer()), b(treeB.root()), c(treeC.root());
        QVERIFY2(a.start() && b.start() && c.start(), qPrintable(a.diagnostics() + b.diagnostics() + c.diagnostics()));
        QTemporaryDir out;
        DownloadJob job(listUrl({a.port(), b.port(), c.port()}, "big.bin"), out.filePath("big.bin"),
                        ExistingFilePolicy::Overwrite);
        job.setRetryPolicy(fastRetries());
        QSignalSpy dropped(&job, &DownloadJob::sourceDropped);
        job.start();
        QVERIFY2(someChunkRecorded(job.localPath(), 20000), qPrintable(describe(&job)));
        a.kill();
        QVERIFY2(waitFinished(&job, 60000), qPrintable(describe(&job)));
        QVERIFY2(job.state() == DownloadJob::State::Done && job.isVerified(), qPrintable(describe(&job)));
        QString why;
        QVERIFY2(ferrytest::sameContent(fileA, job.localPath(), &why), qPrintable(why));
        QCOMPARE(dropped.count(), 1);
        QVERIFY(dropped.first().first().toString().contains(QStringLiteral("127.0.0.1:%1").arg(b.port())));
    }

    void sessionSkipsARefusedServer()
    {
        TestTree tree;
        tree.addFile("a.txt", 10, 1);
        ServerProcess b(tree.root());
        QVERIFY2(b.start(), qPrintable(b.diagnostics()));
        Session session;
        session.setServers(loopback({closedPort(), b.port()}));
        QSignalSpy pages(&session, &Session::listPageReceived);
        QSignalSpy failed(&session, &Session::requestFailed);
        session.list(QString());
        QTRY_VERIFY_WITH_TIMEOUT(!pages.isEmpty() || !failed.isEmpty(), 15000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(2).toString()));
        QCOMPARE(session.port(), b.port());
    }

    void sessionSkipsABusyServer()
    {
        TestTree tree;
        tree.addFile("a.txt", 10, 1);
        ServerProcess a(tree.root()), b(tree.root());
        QVERIFY2(a.start() && b.start(), qPrintable(a.diagnostics() + b.diagnostics()));
        QCOMPARE(ferrytest::adminCall(a.adminSocketPath(), {{"cmd", "drain"}}).value("ok").toBool(), true);
        Session session;
        session.setServers(loopback({a.port(), b.port()}));
        QSignalSpy pages(&session, &Session::listPageReceived);
        session.list(QString());
        QTRY_VERIFY_WITH_TIMEOUT(!pages.isEmpty(), 15000);
        QCOMPARE(session.port(), b.port());
        // A turned the session away once: a session that waited out the BUSY's hint would have asked A
        // again (after a wait, the round starts again from the same server).
        const QJsonObject pool = ferrytest::adminStatus(a.adminSocketPath()).value("pool").toObject();
        QCOMPARE(pool.value("rejected_busy").toInt(-1), 1);
    }

    void sessionMovesOnWhenItsServerDiesBetweenRequests()
    {
        TestTree tree;
        tree.addFile("a.txt", 10, 1);
        ServerProcess a(tree.root()), b(tree.root());
        QVERIFY2(a.start() && b.start(), qPrintable(a.diagnostics() + b.diagnostics()));
        Session session;
        session.setServers(loopback({a.port(), b.port()}));
        QSignalSpy pages(&session, &Session::listPageReceived);
        QSignalSpy failed(&session, &Session::requestFailed);
        session.list(QString());
        QTRY_COMPARE_WITH_TIMEOUT(pages.count(), 1, 15000);
        QCOMPARE(session.port(), a.port());
        a.kill();
        session.list(QString());
        QTRY_VERIFY_WITH_TIMEOUT(pages.count() == 2 || !failed.isEmpty(), 15000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(2).toString()));
        QCOMPARE(session.port(), b.port());
        QCOMPARE(session.servers(), loopback({a.port(), b.port()})); // the list stays, in its order
    }
};

QTEST_GUILESS_MAIN(TestClientServerList)
#include "tst_clientserverlist.moc"
