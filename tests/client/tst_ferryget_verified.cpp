// ferry-get's verified downloads as scripts see them: the SHA-256 line (sha256sum's, for a file of
// several chunks and after a resume: the manifest's last entry, reached by the client's own hashing),
// --sha256, a kill -9 in the middle of a four-connection download, and mirrors named on the command line.
#include "loopbackrelay.h"
#include "serverprocess.h"
#include "testtree.h"

#include "client/knownservers.h"
#include "client/partfile.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <limits>
#include <memory>

using ferry::client::PartFile;
using ferrytest::LoopbackRelay;
using ferrytest::TestTree;

namespace {

using Run = ServerProcess::RunResult;
constexpr qint64 Chunk = 4 * 1024 * 1024;

Run runGet(const QStringList &args, int timeoutMs = 90000)
{
    return ServerProcess::runProgram(QStringLiteral(GET_BIN), args, timeoutMs);
}

// What sha256sum prints for `path`: the line a user checks the download with.
QByteArray sha256sumLine(const QString &path)
{
    const QString program = QStandardPaths::findExecutable(QStringLiteral("sha256sum"));
    return program.isEmpty() ? QByteArray("no sha256sum") : ServerProcess::runProgram(program, {path}, 30000).out;
}

QString urlOf(const QString &host, quint16 port, const QString &path)
{
    return QStringLiteral("ferry://%1:%2/%3").arg(host).arg(port).arg(path);
}

QString urlOf(const ServerProcess &server, const QString &path)
{
    return urlOf(server.host(), server.port(), path);
}

// Relay hooks that pass the server's bytes until `*left` of them have gone, over all connections,
// and drop the rest: the download stalls there, short of its end, however late the test looks.
LoopbackRelay::Hooks passingAtMost(std::shared_ptr<qint64> left)
{
    LoopbackRelay::Hooks hooks;
    hooks.fromClient = [](QTcpSocket &client, QTcpSocket &upstream) {
        upstream.write(client.readAll());
        return true;
    };
    hooks.toClient = [left](QByteArray &bytes) {
        bytes.truncate(qsizetype(std::min<qint64>(bytes.size(), *left)));
        *left -= bytes.size();
    };
    return hooks;
}

// ferry-get over TLS (the harness's FERRY_PLAINTEXT emptied, which is off), its known-servers file in
// `configHome`/ferry/known-servers.
Run runGetTls(const QString &configHome, const QStringList &args)
{
    const QStringList environment{QStringLiteral("FERRY_PLAINTEXT="), QStringLiteral("XDG_CONFIG_HOME=") + configHome};
    return ServerProcess::runProgram(QStringLiteral(GET_BIN), args, 90000, environment);
}

bool pin(const QString &configHome, const ServerProcess &server, const QString &fingerprint)
{
    ferry::client::KnownServers known(configHome + QStringLiteral("/ferry/known-servers"));
    return known.add(ferry::client::KnownServers::serverKey(server.host(), server.port()), fingerprint);
}

} // namespace

class TestFerryGetVerified : public QObject
{
    Q_OBJECT
private slots:
    void printsSha256OfVerifiedFile();
    void expectedSha256MustMatch();
    void rejectsMalformedSha256();
    void killedMidSegmentedDownloadResumes();
    void mirrorsOnTheCommandLine();
    void mirrorThatIsNotFerryIsPassedOver_data();
    void mirrorThatIsNotFerryIsPassedOver();
    void noServerLeftFailsNamingEach();
    void changedMirrorEndsTheJob_data();
    void changedMirrorEndsTheJob();
    void unknownMirrorIsPassedOver();
};

void TestFerryGetVerified::printsSha256OfVerifiedFile()
{
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("a.bin"), uint64_t(2 * Chunk + 1), 31);
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QTemporaryDir dest;
    const Run run = runGet({QStringLiteral("-o"), dest.path(), urlOf(server, QStringLiteral("a.bin"))});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QString local = QDir(dest.path()).filePath(QStringLiteral("a.bin"));
    // sha256sum's format, so that `sha256sum -c` can check the file later.
    QCOMPARE(run.out, ferrytest::fileSha256(remote) + "  " + QFile::encodeName(local) + "\n");
    QCOMPARE(run.out, sha256sumLine(local));
    QVERIFY2(run.err.contains("verified, SHA-256 " + ferrytest::fileSha256(remote)), run.err.constData());
}

void TestFerryGetVerified::expectedSha256MustMatch()
{
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("b.bin"), uint64_t(Chunk + 17), 32);
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QTemporaryDir dest;
    const QString local = QDir(dest.path()).filePath(QStringLiteral("b.bin"));
    const QString wrong = QString(64, u'0');
    const Run bad = runGet({QStringLiteral("-o"), dest.path(), QStringLiteral("--sha256"), wrong,
                            urlOf(server, QStringLiteral("b.bin"))});
    QCOMPARE(bad.exitCode, 4); // remote: the file is not what was published
    QVERIFY2(bad.err.contains("not the expected"), bad.err.constData());
    QVERIFY(!QFile::exists(local));
    QVERIFY(bad.out.isEmpty());

    const QString right = QString::fromLatin1(ferrytest::fileSha256(remote)).toUpper(); // case does not matter
    const Run good = runGet({QStringLiteral("-o"), dest.path(), QStringLiteral("--sha256"), right,
                             QStringLiteral("--on-exists"), QStringLiteral("resume"),
                             urlOf(server, QStringLiteral("b.bin"))});
    QVERIFY2(good.exitCode == 0, good.err.constData());
    QString why;
    QVERIFY2(ferrytest::sameContent(remote, local, &why), qPrintable(why));
}

void TestFerryGetVerified::rejectsMalformedSha256()
{
    const Run run = runGet({QStringLiteral("--sha256"), QStringLiteral("abc"), QStringLiteral("ferry://h/x")});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains("--sha256 takes 64 hexadecimal digits"), run.err.constData());
    const Run two = runGet({QStringLiteral("--sha256"), QString(64, u'a'), QStringLiteral("ferry://h/x"),
                            QStringLiteral("ferry://h/y")});
    QCOMPARE(two.exitCode, 2);
    QVERIFY2(two.err.contains("exactly one file"), two.err.constData());
}

// Four connections at 3 MB/s each; SIGKILL once some chunks are recorded, then the same
// command again: the file must be identical, and the second run must not start over. The first
// run reaches the server through a relay that passes 7.5 chunks' worth and then holds: the kill
// comes before the end because the end cannot come, not because the test looked in time.
void TestFerryGetVerified::killedMidSegmentedDownloadResumes()
{
    TestTree tree;
    const qint64 size = 12 * Chunk + 4321;
    const QString remote = tree.addFile(QStringLiteral("k.bin"), uint64_t(size), 33);
    ServerProcess server(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("3M"),
                                       QStringLiteral("--streams-per-client"), QStringLiteral("4")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    // With at most 4 chunks partly received, 7.5 chunks passed hold at least 3 whole ones.
    const auto left = std::make_shared<qint64>(7 * Chunk + Chunk / 2);
    LoopbackRelay relay(server.host(), server.port(), [left] { return passingAtMost(left); });
    QVERIFY(relay.listen());
    QTemporaryDir dest;
    const QString local = QDir(dest.path()).filePath(QStringLiteral("k.bin"));
    const QStringList args{QStringLiteral("-o"), dest.path(), QStringLiteral("--on-exists"), QStringLiteral("resume"),
                           urlOf(relay.host(), relay.port(), QStringLiteral("k.bin"))};
    QProcess first;
    first.start(QStringLiteral(GET_BIN), args);
    QVERIFY(first.waitForStarted());
    // The records, not the .part's size: that is the whole file's from its first moment.
    const auto recorded = [&local] {
        const auto meta = PartFile::readMeta(local);
        return meta && meta->chunkSize == Chunk ? PartFile::resumableBytes(local) : 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(recorded() >= 3 * Chunk, 30000);
    ::kill(pid_t(first.processId()), SIGKILL);
    QVERIFY(first.waitForFinished(10000));
    QCOMPARE(first.exitStatus(), QProcess::CrashExit); // killed, not ended by itself
    const qint64 kept = recorded();
    QVERIFY2(kept >= 3 * Chunk && kept < size, qPrintable(QString::number(kept)));

    // The same command, everything passed now; run on the event loop, which the relay needs.
    *left = std::numeric_limits<qint64>::max();
    QProcess second;
    second.start(QStringLiteral(GET_BIN), args);
    QVERIFY(second.waitForStarted());
    QTRY_COMPARE_WITH_TIMEOUT(second.state(), QProcess::NotRunning, 90000);
    const QByteArray out = second.readAllStandardOutput();
    const QByteArray err = second.readAllStandardError();
    QVERIFY2(second.exitStatus() == QProcess::NormalExit && second.exitCode() == 0, err.constData());
    QString why;
    QVERIFY2(ferrytest::sameContent(remote, local, &why), qPrintable(why));
    QVERIFY2(err.contains("resuming"), err.constData());
    QVERIFY(out.startsWith(ferrytest::fileSha256(remote)));
    // The kept chunks were not read again for it: the chain's last entry is the file's SHA-256.
    QCOMPARE(out, sha256sumLine(local));
}

// The same path on three servers: one file, its chunks from all; a server whose copy differs
// is named and left out, and the file still comes out right.
void TestFerryGetVerified::mirrorsOnTheCommandLine()
{
    TestTree tree;
    TestTree other;
    const qint64 size = 4 * Chunk;
    const QString remote = tree.addFile(QStringLiteral("m/file.bin"), uint64_t(size), 34);
    QVERIFY(!other.addFile(QStringLiteral("m/file.bin"), uint64_t(size), 35).isEmpty());
    ServerProcess a(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("4M")});
    ServerProcess b(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("4M")});
    ServerProcess c(other.root());
    QVERIFY2(a.start(), qPrintable(a.diagnostics()));
    QVERIFY2(b.start(), qPrintable(b.diagnostics()));
    QVERIFY2(c.start(), qPrintable(c.diagnostics()));
    QTemporaryDir dest;
    const Run run = runGet({QStringLiteral("-o"), dest.path(), urlOf(a, QStringLiteral("m/file.bin")),
                            urlOf(b, QStringLiteral("m/file.bin")), urlOf(c, QStringLiteral("m/file.bin"))});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QString why;
    QVERIFY2(ferrytest::sameContent(remote, QDir(dest.path()).filePath(QStringLiteral("file.bin")), &why),
             qPrintable(why));
    const QString notUsingC =
        QStringLiteral("not using %1:%2: its copy has different content").arg(c.host()).arg(c.port());
    QVERIFY2(run.err.contains(notUsingC.toUtf8()), run.err.constData());
    QCOMPARE(QDir(dest.path()).entryList(QDir::Files), QStringList{QStringLiteral("file.bin")});
}

void TestFerryGetVerified::mirrorThatIsNotFerryIsPassedOver_data()
{
    QTest::addColumn<bool>("badFirst"); // the port that is not Ferry is the first URL (the job's own)
    QTest::addColumn<bool>("silent");   // it accepts and says nothing; else a TLS-only Ferry server
    QTest::addColumn<bool>("toFile");   // -O: the job starts at once, with no STAT before it
    QTest::newRow("silent first") << true << true << false;
    QTest::newRow("silent first, -O") << true << true << true;
    QTest::newRow("TLS only first") << true << false << false;
    QTest::newRow("silent mirror") << false << true << false;
    QTest::newRow("TLS-only mirror") << false << false << false;
}

// A port that does not speak Ferry to this client (one that stays silent after HELLO, or a server that
// requires TLS, to a plaintext client) used to end the whole download, mirrors or not: it is a protocol
// error, which retrying cannot fix. Now it is dropped for the file, saying why, and the others serve it.
void TestFerryGetVerified::mirrorThatIsNotFerryIsPassedOver()
{
    QFETCH(bool, badFirst);
    QFETCH(bool, silent);
    QFETCH(bool, toFile);
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("p/file.bin"), uint64_t(2 * Chunk + 7), 36);
    // A mirror that is not Ferry is found out after the 3 s of HELLO: the good server takes longer than that
    // (three chunks, a connection each, at 512 KiB/s), so the file is not done before the mirror is dropped.
    ServerProcess good(tree.root(), badFirst ? QStringList{} : QStringList{"--rate-limit", "512K"});
    ServerProcess tlsOnly(tree.root(), {QStringLiteral("--plaintext"), QStringLiteral("off")});
    QVERIFY2(good.start(), qPrintable(good.diagnostics()));
    QTcpServer silentPort; // the kernel completes connections without accept(): they just hear nothing
    if (silent)
        QVERIFY(silentPort.listen(QHostAddress::LocalHost, 0));
    else
        QVERIFY2(tlsOnly.start(), qPrintable(tlsOnly.diagnostics()));
    const quint16 badPort = silent ? silentPort.serverPort() : tlsOnly.port();
    const QString bad = urlOf(QStringLiteral("127.0.0.1"), badPort, QStringLiteral("p/file.bin"));
    const QString fine = urlOf(good, QStringLiteral("p/file.bin"));
    QTemporaryDir dest;
    const QString local = QDir(dest.path()).filePath(QStringLiteral("file.bin"));
    QStringList args =
        toFile ? QStringList{QStringLiteral("-O"), local} : QStringList{QStringLiteral("-o"), dest.path()};
    args << (badFirst ? bad : fine) << (badFirst ? fine : bad);
    const Run run = runGet(args);
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QString why;
    QVERIFY2(ferrytest::sameContent(remote, local, &why), qPrintable(why));
    QVERIFY2(run.out.startsWith(ferrytest::fileSha256(remote)), run.out.constData()); // verified
    const QByteArray dropped = QStringLiteral("not using 127.0.0.1:%1").arg(badPort).toUtf8();
    QVERIFY2(run.err.count(dropped) == 1, run.err.constData()); // said once
    QVERIFY2(run.err.contains(silent ? "does not speak Ferry" : "TLS"), run.err.constData());
    if (silent) {
        // Met once: a job whose STAT already passed over the silent port starts without it, and does not
        // spend another 3 s of HELLO finding the same thing out.
        int connections = 0;
        while (silentPort.hasPendingConnections() || silentPort.waitForNewConnection(200)) {
            delete silentPort.nextPendingConnection();
            ++connections;
        }
        QCOMPARE(connections, 1);
    }
    QCOMPARE(QDir(dest.path()).entryList(QDir::Files), QStringList{QStringLiteral("file.bin")});
}

// With every server passed over, the download fails saying why for each, and nothing is left behind.
void TestFerryGetVerified::noServerLeftFailsNamingEach()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("file.bin"), uint64_t(Chunk), 37).isEmpty());
    ServerProcess tlsOnly(tree.root(), {QStringLiteral("--plaintext"), QStringLiteral("off")});
    QVERIFY2(tlsOnly.start(), qPrintable(tlsOnly.diagnostics()));
    QTcpServer silentPort;
    QVERIFY(silentPort.listen(QHostAddress::LocalHost, 0));
    for (const bool toFile : {false, true}) {
        QTemporaryDir dest;
        const QString local = QDir(dest.path()).filePath(QStringLiteral("file.bin"));
        QStringList args =
            toFile ? QStringList{QStringLiteral("-O"), local} : QStringList{QStringLiteral("-o"), dest.path()};
        args << urlOf(QStringLiteral("127.0.0.1"), silentPort.serverPort(), QStringLiteral("file.bin"))
             << urlOf(tlsOnly, QStringLiteral("file.bin"));
        const Run run = runGet(args);
        QVERIFY2(run.exitCode != 0, run.err.constData());
        QVERIFY2(run.err.contains("no server is left"), run.err.constData());
        const QString silentReason =
            QStringLiteral("127.0.0.1:%1 does not speak Ferry").arg(silentPort.serverPort());
        QVERIFY2(run.err.contains(silentReason.toUtf8()), run.err.constData());
        QVERIFY2(run.err.contains(QStringLiteral("%1:%2").arg(tlsOnly.host()).arg(tlsOnly.port()).toUtf8()),
                 run.err.constData());
        QVERIFY2(run.out.isEmpty(), run.out.constData());
        QVERIFY2(!QFile::exists(local), toFile ? "-O" : "-o");
        QVERIFY2(!QFile::exists(PartFile::partPathFor(local)), toFile ? "-O" : "-o");
    }
}

void TestFerryGetVerified::changedMirrorEndsTheJob_data()
{
    QTest::addColumn<bool>("changedFirst"); // the changed server is the first URL (the job's own)
    QTest::addColumn<bool>("toFile");       // -O: no STAT before the job
    QTest::newRow("changed mirror") << false << false;
    QTest::newRow("changed mirror, -O") << false << true;
    QTest::newRow("changed first") << true << false;
    QTest::newRow("changed first, -O") << true << true;
}

// A server that no longer matches its pin is SSH's "REMOTE HOST IDENTIFICATION HAS CHANGED": the whole job
// stops, loudly, though the pinned mirror could have served the file; nothing is renamed into place.
void TestFerryGetVerified::changedMirrorEndsTheJob()
{
    QFETCH(bool, changedFirst);
    QFETCH(bool, toFile);
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("c/file.bin"), uint64_t(2 * Chunk + 7), 38).isEmpty());
    // Slow enough that the good server cannot finish before the changed one is met.
    const QStringList tlsOnly{QStringLiteral("--plaintext"), QStringLiteral("off")};
    ServerProcess good(tree.root(), tlsOnly + QStringList{QStringLiteral("--rate-limit"), QStringLiteral("1M")});
    ServerProcess changed(tree.root(), tlsOnly);
    QVERIFY2(good.start(), qPrintable(good.diagnostics()));
    QVERIFY2(changed.start(), qPrintable(changed.diagnostics()));
    QTemporaryDir config, dest;
    const QString other = QStringLiteral("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH-IIII-JJJJ-KKKK-LLLL-MMMM");
    QVERIFY(pin(config.path(), good, good.fingerprint()));
    QVERIFY(pin(config.path(), changed, other));
    const QString local = QDir(dest.path()).filePath(QStringLiteral("file.bin"));
    QStringList args =
        toFile ? QStringList{QStringLiteral("-O"), local} : QStringList{QStringLiteral("-o"), dest.path()};
    const QString goodUrl = urlOf(good, QStringLiteral("c/file.bin"));
    const QString changedUrl = urlOf(changed, QStringLiteral("c/file.bin"));
    args << QStringLiteral("--no-progress") << (changedFirst ? changedUrl : goodUrl)
         << (changedFirst ? goodUrl : changedUrl);
    const Run run = runGetTls(config.path(), args);
    QCOMPARE(run.exitCode, 1);
    const QString key = ferry::client::KnownServers::serverKey(changed.host(), changed.port());
    const QString loud = QStringLiteral("THE IDENTITY OF FERRY SERVER %1 HAS CHANGED").arg(key);
    QVERIFY2(run.err.contains(loud.toUtf8()), run.err.constData());
    QVERIFY2(run.err.contains(("ferry-get known-servers remove " + key).toUtf8()), run.err.constData());
    QVERIFY2(!QFile::exists(local), run.err.constData());
    QVERIFY2(run.out.isEmpty(), run.out.constData()); // no SHA-256 line: nothing arrived
}

// A first contact is not a changed identity: that mirror is dropped for the file, with the message that
// prints its fingerprint and --trust-new, and the pinned server serves the file.
void TestFerryGetVerified::unknownMirrorIsPassedOver()
{
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("u/file.bin"), uint64_t(Chunk + 9), 39);
    const QStringList tlsOnly{QStringLiteral("--plaintext"), QStringLiteral("off")};
    ServerProcess pinned(tree.root(), tlsOnly);
    ServerProcess unknown(tree.root(), tlsOnly);
    QVERIFY2(pinned.start(), qPrintable(pinned.diagnostics()));
    QVERIFY2(unknown.start(), qPrintable(unknown.diagnostics()));
    QTemporaryDir config, dest;
    QVERIFY(pin(config.path(), pinned, pinned.fingerprint()));
    const Run run = runGetTls(config.path(), {QStringLiteral("--no-progress"), QStringLiteral("-o"), dest.path(),
                                              urlOf(pinned, QStringLiteral("u/file.bin")),
                                              urlOf(unknown, QStringLiteral("u/file.bin"))});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QString why;
    QVERIFY2(ferrytest::sameContent(remote, QDir(dest.path()).filePath(QStringLiteral("file.bin")), &why),
             qPrintable(why));
    QVERIFY2(run.err.contains(("first contact with " + ferry::client::KnownServers::serverKey(
                                                          unknown.host(), unknown.port())).toUtf8()),
             run.err.constData());
    QVERIFY2(run.err.contains(unknown.fingerprint().toUtf8()) && run.err.contains("--trust-new"), run.err.constData());
}

QTEST_GUILESS_MAIN(TestFerryGetVerified)
#include "tst_ferryget_verified.moc"
