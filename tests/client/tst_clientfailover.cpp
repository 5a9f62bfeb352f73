// ferry-get with a server list (ferry://a,b/path): it tries the servers in order and fails over on a
// refused connection, on BUSY (a draining server) and on a connection lost mid-transfer, resuming its
// .part on the next server when that one serves the same file (shared storage, or a copy with another
// mtime), and refusing, with exit status 4 and the .part kept, one that has a different version.
// `ferry-get ls` fails over the same way.
#include "adminrequest.h"
#include "closedport.h"
#include "polling.h"
#include "serverprocess.h"
#include "testtree.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>

using namespace ferrytest;

namespace {

using ferrytest::closedPort;

QString link(const QList<quint16> &ports, const QString &path)
{
    QStringList servers;
    for (quint16 port : ports)
        servers << QStringLiteral("127.0.0.1:%1").arg(port);
    return QStringLiteral("ferry://%1/%2").arg(servers.join(u','), path);
}

// How much a "resuming NAME at N MiB of M MiB" line of ferry-get says the .part kept, -1 without one.
double resumedMiB(const QByteArray &output)
{
    const QRegularExpressionMatch match =
        QRegularExpression(QStringLiteral("resuming \\S+ at ([0-9.]+) MiB of")).match(QString::fromUtf8(output));
    return match.hasMatch() ? match.captured(1).toDouble() : -1;
}

// Whether the .part's metadata beside `finalPath` records a verified chunk (on disk, fdatasync'ed).
bool someChunkRecorded(const QString &finalPath)
{
    QFile meta(finalPath + ".part.ferry");
    return meta.open(QIODevice::ReadOnly)
           && !QJsonDocument::fromJson(meta.readAll()).object().value("verified").toString().isEmpty();
}

// ferry-get over the list (first, second) until a chunk of big.bin is recorded as verified in `dir`, then
// the first server dies; its exit code and output once it has finished.
struct GetRun {
    int exitCode = -1;
    QByteArray output;
};
void getLosingTheFirstServer(ServerProcess &first, const ServerProcess &second, const QString &dir, GetRun &run)
{
    QProcess get;
    get.setProcessChannelMode(QProcess::MergedChannels);
    get.start(GET_BIN, {"--no-progress", "-o", dir, link({first.port(), second.port()}, "big.bin")});
    QVERIFY(get.waitForStarted());
    QVERIFY(ferrytest::pollUntil([&] { return someChunkRecorded(QDir(dir).filePath("big.bin")); },
                                 [](bool recorded) { return recorded; }, 20000));
    first.kill();
    QVERIFY(get.waitForFinished(60000));
    run = {get.exitCode(), get.readAll()};
}

// A count of the pool in `server`'s admin status: "accepted" connections, "rejected_busy" (turned away
// with BUSY: draining, full, or too many from one address); -1 if the server does not answer.
int poolCount(const ServerProcess &server, const char *name)
{
    return adminStatus(server.adminSocketPath()).value("pool").toObject().value(QLatin1String(name)).toInt(-1);
}

// One slow stream, so that a test kills the server early in the download.
const QStringList SlowServer{"--rate-limit", "4M", "--streams-per-client", "1"};
constexpr qint64 BigFile = 24 << 20; // six chunks of 4 MiB

} // namespace

class TestClientFailover : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        if (ServerProcess::defaultProgram().isEmpty())
            QSKIP("ferry-server is not built in this tree");
    }

    void refusedConnectionGoesToTheNextServer()
    {
        TestTree tree;
        const QString file = tree.addFile("f.bin", 300000, 1);
        ServerProcess server(tree.root());
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        QTemporaryDir out;
        const auto run = ServerProcess::runProgram(GET_BIN, {"--no-progress", "-o", out.path(),
                                                             link({closedPort(), server.port()}, "f.bin")}, 30000);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QString why;
        QVERIFY2(sameContent(file, out.filePath("f.bin"), &why), qPrintable(why));
    }

    void busyServerGoesToTheNextServer()
    {
        // The first server drains: it answers BUSY before WELCOME, and the second one serves at once,
        // without the BUSY's retry wait (after which ferry-get would have asked the first one again).
        TestTree tree;
        const QString file = tree.addFile("f.bin", 300000, 2);
        ServerProcess draining(tree.root()), other(tree.root());
        QVERIFY2(draining.start() && other.start(), qPrintable(draining.diagnostics() + other.diagnostics()));
        QCOMPARE(ferrytest::adminCall(draining.adminSocketPath(), {{"cmd", "drain"}}).value("ok").toBool(), true);
        QTemporaryDir out;
        const auto run = ServerProcess::runProgram(GET_BIN, {"--no-progress", "-o", out.path(),
                                                             link({draining.port(), other.port()}, "f.bin")}, 30000);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QString why;
        QVERIFY2(sameContent(file, out.filePath("f.bin"), &why), qPrintable(why));
        // Each connection ferry-get opened (to see what the path names, then to download it) was turned
        // away once by the first server and served by the second: none came back to the first after the
        // BUSY's wait.
        QVERIFY(poolCount(draining, "rejected_busy") >= 1);
        QCOMPARE(poolCount(draining, "rejected_busy"), poolCount(other, "accepted"));
    }

    void lostConnectionResumesOnTheNextServer()
    {
        // Both serve one tree (same size, same mtime): the .part continues on the second server.
        TestTree tree;
        const QString file = tree.addFile("big.bin", 12 << 20, 3);
        ServerProcess first(tree.root(), {"--rate-limit", "2M", "--streams-per-client", "1", "--log-level", "debug"});
        ServerProcess second(tree.root(), {"--rate-limit", "8M"});
        QVERIFY2(first.start() && second.start(), qPrintable(first.diagnostics() + second.diagnostics()));
        QTemporaryDir out;
        // A chunk has arrived and is recorded as verified (2 MiB/s; the .part has its full size at once):
        // then the first server dies.
        GetRun run;
        getLosingTheFirstServer(first, second, out.path(), run);
        if (QTest::currentTestFailed())
            return;
        const QByteArray &output = run.output;
        QVERIFY2(run.exitCode == 0, output.constData());
        // The second server was asked for the rest, not the whole file.
        QVERIFY2(resumedMiB(output) >= 4, output.constData());
        QString why;
        QVERIFY2(sameContent(file, out.filePath("big.bin"), &why), qPrintable(why));
    }

    void lostConnectionContinuesOnACopyWithAnotherMtime()
    {
        // B holds a copy (as rsync without --times leaves it): same bytes, so the same manifest root.
        TestTree treeA, treeB;
        const QString file = treeA.addFile("big.bin", BigFile, 4);
        treeB.addFile("big.bin", BigFile, 4);
        const timespec dayEarlier{time_t(ferrytest::fileMtimeNs(file) / 1000000000 - 86400), 0};
        const timespec times[2] = {dayEarlier, dayEarlier};
        QVERIFY(::utimensat(AT_FDCWD, QFile::encodeName(treeB.path("big.bin")).constData(), times, 0) == 0);
        ServerProcess first(treeA.root(), SlowServer), second(treeB.root());
        QVERIFY2(first.start() && second.start(), qPrintable(first.diagnostics() + second.diagnostics()));
        QTemporaryDir out;
        GetRun run;
        getLosingTheFirstServer(first, second, out.path(), run);
        if (QTest::currentTestFailed())
            return;
        const QByteArray &output = run.output;
        QVERIFY2(run.exitCode == 0, output.constData());
        // The second server was asked only for the chunks still missing: A's verified ones stayed.
        QVERIFY2(resumedMiB(output) >= 4, output.constData());
        QString why;
        QVERIFY2(sameContent(file, out.filePath("big.bin"), &why), qPrintable(why));
    }

    void lostConnectionRefusesADifferentVersion()
    {
        // Same name, same size, other bytes: B's manifest root differs from the one the .part follows.
        TestTree treeA, treeB;
        const QString file = treeA.addFile("big.bin", BigFile, 4);
        treeB.addFile("big.bin", BigFile, 5);
        ServerProcess first(treeA.root(), SlowServer), second(treeB.root());
        QVERIFY2(first.start() && second.start(), qPrintable(first.diagnostics() + second.diagnostics()));
        QTemporaryDir out;
        GetRun run;
        getLosingTheFirstServer(first, second, out.path(), run);
        if (QTest::currentTestFailed())
            return;
        const QByteArray &output = run.output;
        QVERIFY2(run.exitCode == 4, output.constData());
        QVERIFY2(output.contains("has a different version of this file")
                     && output.contains(QStringLiteral("127.0.0.1:%1").arg(second.port()).toLatin1()),
                 output.constData());
        QVERIFY(!QFileInfo::exists(out.filePath("big.bin")));
        QVERIFY(someChunkRecorded(out.filePath("big.bin"))); // A's verified chunks wait for A
        QFile part(out.filePath("big.bin.part")), original(file);
        QVERIFY(part.open(QIODevice::ReadOnly) && original.open(QIODevice::ReadOnly));
        QVERIFY(part.read(4 << 20) == original.read(4 << 20));
    }

    void lsGoesToTheNextServer()
    {
        TestTree tree;
        tree.addFile("listed.bin", 1000, 6);
        ServerProcess server(tree.root());
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        const auto run = ServerProcess::runProgram(GET_BIN, {"ls", link({closedPort(), server.port()}, "")}, 30000);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("listed.bin"), run.out.constData());
    }

    void lsSkipsABusyServer()
    {
        TestTree tree;
        tree.addFile("listed.bin", 1000, 6);
        ServerProcess draining(tree.root()), other(tree.root());
        QVERIFY2(draining.start() && other.start(), qPrintable(draining.diagnostics() + other.diagnostics()));
        QCOMPARE(ferrytest::adminCall(draining.adminSocketPath(), {{"cmd", "drain"}}).value("ok").toBool(), true);
        const auto run = ServerProcess::runProgram(GET_BIN, {"ls", "--json", link({draining.port(), other.port()}, "")},
                                                   30000);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("\"listed.bin\""), run.out.constData());
        QCOMPARE(poolCount(draining, "rejected_busy"), 1); // asked once, not again after the BUSY's wait
    }

    void lsFailsWhenNoServerAnswers()
    {
        const auto run = ServerProcess::runProgram(GET_BIN, {"ls", link({closedPort(), closedPort()}, "")}, 30000);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("ferry-get:"), run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestClientFailover)
#include "tst_clientfailover.moc"
