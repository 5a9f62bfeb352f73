// `ferry-get sum URL...`: sha256sum lines for remote files without downloading them. The lines are
// checked by sha256sum -c itself against the served files and equal sha256sum's own for an empty, a
// one-byte and a multi-chunk file; a missing file fails with exit 4 while the others are still printed;
// a folder is told that sum takes files; the server answers a second sum of an unchanged file from its
// cache, and a sum followed by a verified download hashes the file there once (the line comes from the
// manifest); a malformed manifest is refused in one sentence; a server without manifests gets a DIGEST.
#include "corruptingrelay.h"
#include "serverprocess.h"
#include "testtree.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

using Run = ServerProcess::RunResult;
using ferrytest::CorruptingRelay;

Run runGet(const QStringList &args) { return ServerProcess::runProgram(QStringLiteral(GET_BIN), args, 60000); }

// ferry-get run on the event loop, which a relay in the test needs (runGet() blocks it).
Run runGetOnTheEventLoop(const QStringList &args)
{
    Run run;
    QProcess process;
    process.start(QStringLiteral(GET_BIN), args);
    if (!process.waitForStarted())
        return run;
    if (!QTest::qWaitFor([&process] { return process.state() == QProcess::NotRunning; }, 60000))
        return run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// What sha256sum prints for `name` in `folder`: "HEX  NAME\n", the line sum must print.
QByteArray sha256sumOf(const QString &folder, const QString &name)
{
    QProcess process;
    process.setWorkingDirectory(folder);
    process.start(QStandardPaths::findExecutable(QStringLiteral("sha256sum")), {name});
    return process.waitForFinished(30000) && process.exitCode() == 0 ? process.readAllStandardOutput()
                                                                      : QByteArray("sha256sum failed");
}

} // namespace

class TestFerryGetSum : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void linesPassSha256sumCheck();
    void lineIsSha256sums_data();
    void lineIsSha256sums();
    void sumThenDownloadHashesTheFileOnce();
    void malformedManifestIsRefused_data();
    void malformedManifestIsRefused();
    void serverWithoutManifestsIsAskedForADigest();
    void missingFileFailsTheRunNotTheOthers();
    void folderIsToldSumTakesFiles_data();
    void folderIsToldSumTakesFiles();
    void secondSumComesFromTheCache();
    void needsAUrl();

private:
    ferrytest::TestTree m_tree;
    QString m_hashLog;
    std::unique_ptr<ServerProcess> m_server;
    QString url(const QString &path) const { return urlAt(m_server->host(), m_server->port(), path); }
    static QString urlAt(const QString &host, quint16 port, const QString &path)
    {
        return QStringLiteral("ferry://%1:%2/%3").arg(host).arg(port).arg(path);
    }
    // Lines of the server's hash log (FERRY_TEST_HASH_LOG) naming `name`: how often it read the file.
    qsizetype readsOf(const QString &name) const
    {
        QFile log(m_hashLog);
        if (!log.exists())
            return 0;
        return log.open(QIODevice::ReadOnly) ? log.readAll().count(" " + name.toUtf8() + "\n") : -1;
    }
};

void TestFerryGetSum::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("big.bin"), 9 * 1024 * 1024 + 5, 1).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("empty.bin"), 0, 2).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("dir/with space.bin"), 1000, 3).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("one.bin"), 1, 4).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("chunks.bin"), 3 * 4 * 1024 * 1024 + 7, 5).isEmpty()); // 4 chunks
    QVERIFY(!m_tree.addFile(QStringLiteral("once.bin"), 2 * 4 * 1024 * 1024 + 3, 6).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("bent.bin"), 2 * 4 * 1024 * 1024 + 9, 7).isEmpty()); // 3 chunks
    m_hashLog = m_tree.base() + QStringLiteral("/hash.log");
    qputenv("FERRY_TEST_HASH_LOG", m_hashLog.toLocal8Bit()); // the server's record of every file it hashed
    m_server = std::make_unique<ServerProcess>(m_tree.root());
    const bool started = m_server->start();
    qunsetenv("FERRY_TEST_HASH_LOG");
    QVERIFY2(started, qPrintable(m_server->diagnostics()));
}

void TestFerryGetSum::linesPassSha256sumCheck()
{
    const Run run = runGet({QStringLiteral("sum"), url(QStringLiteral("big.bin")), url(QStringLiteral("empty.bin")),
                            url(QStringLiteral("dir/with%20space.bin"))});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QList<QByteArray> lines = run.out.split('\n');
    QCOMPARE(lines.size(), 4); // three lines and the final newline
    QCOMPARE(lines[0], ferrytest::fileSha256(m_tree.path(QStringLiteral("big.bin"))) + "  big.bin");
    QCOMPARE(lines[1], QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty.bin"));
    // sha256sum -c, run where files of those names are, accepts every line (it names the file: the last
    // component, as ferry-get saves it).
    const QString sha256sum = QStandardPaths::findExecutable(QStringLiteral("sha256sum"));
    QVERIFY(!sha256sum.isEmpty());
    QVERIFY(QFile::copy(m_tree.path(QStringLiteral("dir/with space.bin")),
                        m_tree.path(QStringLiteral("with space.bin"))));
    QProcess check;
    check.setWorkingDirectory(m_tree.root());
    check.start(sha256sum, {QStringLiteral("-c"), QStringLiteral("-")});
    check.write(run.out);
    check.closeWriteChannel();
    QVERIFY(check.waitForFinished(30000));
    QVERIFY2(check.exitCode() == 0, check.readAllStandardError().constData());
    QCOMPARE(check.readAllStandardOutput().count(": OK"), 3);
    QVERIFY(QFile::remove(m_tree.path(QStringLiteral("with space.bin"))));
}

void TestFerryGetSum::lineIsSha256sums_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("empty") << QStringLiteral("empty.bin");
    QTest::newRow("one byte") << QStringLiteral("one.bin");
    QTest::newRow("four chunks") << QStringLiteral("chunks.bin");
}

void TestFerryGetSum::lineIsSha256sums()
{
    QFETCH(QString, name);
    const Run run = runGet({QStringLiteral("sum"), url(name)});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(run.out, sha256sumOf(m_tree.root(), name));
}

// The line is the manifest's last entry: the verified download after it finds the manifest in the
// server's cache, so the server reads the file once for both. (A DIGEST was hashed and cached apart
// from the manifest: twice.)
void TestFerryGetSum::sumThenDownloadHashesTheFileOnce()
{
    QCOMPARE(readsOf(QStringLiteral("once.bin")), qsizetype(0));
    const Run sum = runGet({QStringLiteral("sum"), url(QStringLiteral("once.bin"))});
    QVERIFY2(sum.exitCode == 0, sum.err.constData());
    QCOMPARE(readsOf(QStringLiteral("once.bin")), qsizetype(1));
    QTemporaryDir dest;
    const Run get = runGet({QStringLiteral("--no-progress"), QStringLiteral("-o"), dest.path(),
                            url(QStringLiteral("once.bin"))});
    QVERIFY2(get.exitCode == 0, get.err.constData());
    QCOMPARE(get.out.left(64), sum.out.left(64)); // the download verified the same SHA-256
    QCOMPARE(ferrytest::fileSha256(QDir(dest.path()).filePath(QStringLiteral("once.bin"))), sum.out.left(64));
    QCOMPARE(readsOf(QStringLiteral("once.bin")), qsizetype(1));
}

// One byte of the server's answer flipped on the way: the manifest no longer adds up, and sum says
// why in one sentence, prints no line, and exits as for a protocol error. The byte's place is counted
// from the end of what the server sends for a sum: WELCOME, then one MANIFEST_PAGE whose last fields
// are root (32 bytes), first (4), last (1), count (4) and 3 digests of 32 bytes.
void TestFerryGetSum::malformedManifestIsRefused_data()
{
    QTest::addColumn<qint64>("fromTheEnd");
    QTest::addColumn<QString>("reason");
    QTest::newRow("a digest") << qint64(1) << QStringLiteral("the manifest's root does not match its chunk digests");
    QTest::newRow("the chunk count") << qint64(3 * 32 + 4 + 1 + 4 + 32 + 1)
                                     << QStringLiteral("the manifest's chunk count 252 does not fit a file of");
}

void TestFerryGetSum::malformedManifestIsRefused()
{
    QFETCH(qint64, fromTheEnd);
    QFETCH(QString, reason);
    const QString name = QStringLiteral("bent.bin");
    CorruptingRelay counting(m_server->host(), m_server->port());
    QVERIFY(counting.listen());
    const Run passed = runGetOnTheEventLoop({QStringLiteral("sum"), urlAt(counting.host(), counting.port(), name)});
    QVERIFY2(passed.exitCode == 0, passed.err.constData());
    QCOMPARE(passed.out, sha256sumOf(m_tree.root(), name));
    QCOMPARE(counting.connections(), 1);

    CorruptingRelay relay(m_server->host(), m_server->port());
    relay.flipByteAt(counting.bytesToClients() - fromTheEnd, 1);
    QVERIFY(relay.listen());
    const QString bentUrl = urlAt(relay.host(), relay.port(), name);
    const Run run = runGetOnTheEventLoop({QStringLiteral("sum"), bentUrl});
    QCOMPARE(relay.flips(), 1);
    QCOMPARE(run.exitCode, 1); // a protocol error
    QVERIFY(run.out.isEmpty());
    const QByteArray expected = "ferry-get: " + bentUrl.toUtf8() + ": " + relay.host().toUtf8() + ":"
                                + QByteArray::number(relay.port()) + " sent a malformed manifest of " + name.toUtf8()
                                + ": " + reason.toUtf8();
    QVERIFY2(run.err.startsWith(expected), run.err.constData());
    QCOMPARE(run.err.count('\n'), 1);
}

// A version 1 server has no MANIFEST: sum asks it for a DIGEST of the whole file, the same number.
void TestFerryGetSum::serverWithoutManifestsIsAskedForADigest()
{
    CorruptingRelay relay(m_server->host(), m_server->port());
    relay.refuseVersion2();
    QVERIFY(relay.listen());
    const Run run =
        runGetOnTheEventLoop({QStringLiteral("sum"), urlAt(relay.host(), relay.port(), QStringLiteral("chunks.bin"))});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QVERIFY(relay.version2Refused() > 0); // the client met an old server
    QCOMPARE(run.out, sha256sumOf(m_tree.root(), QStringLiteral("chunks.bin")));
}

void TestFerryGetSum::missingFileFailsTheRunNotTheOthers()
{
    const Run run = runGet({QStringLiteral("sum"), url(QStringLiteral("nope.bin")), url(QStringLiteral("empty.bin")),
                            url(QStringLiteral("dir"))});
    QCOMPARE(run.exitCode, 4); // remote error, as for a download
    QCOMPARE(run.out, QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty.bin\n"));
    QVERIFY2(run.err.contains("nope.bin"), run.err.constData());
    QVERIFY2(run.err.contains(url(QStringLiteral("dir")).toUtf8() + " is a folder"), run.err.constData());
}

void TestFerryGetSum::folderIsToldSumTakesFiles_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("example");
    QTest::newRow("the root") << QString() << QStringLiteral("NAME");
    QTest::newRow("a sub-folder") << QStringLiteral("dir") << QStringLiteral("dir/NAME");
    QTest::newRow("a sub-folder with its slash") << QStringLiteral("dir/") << QStringLiteral("dir/NAME");
}

// It used to say "/: '' is a directory" for the root: the server's words for a DIGEST of a folder.
void TestFerryGetSum::folderIsToldSumTakesFiles()
{
    QFETCH(QString, path);
    QFETCH(QString, example);
    const Run run = runGet({QStringLiteral("sum"), url(path)});
    QCOMPARE(run.exitCode, 4); // as for a download the server refuses: not a file
    QVERIFY(run.out.isEmpty());
    const QByteArray expected = "ferry-get: " + url(path).toUtf8()
                                + " is a folder: sum prints the SHA-256 of files; name them, e.g. "
                                + url(example).toUtf8() + " (ferry-get ls " + url(path).toUtf8() + " lists them)\n";
    QCOMPARE(run.err, expected);
}

void TestFerryGetSum::secondSumComesFromTheCache()
{
    const Run first = runGet({QStringLiteral("sum"), url(QStringLiteral("big.bin"))});
    const Run second = runGet({QStringLiteral("sum"), url(QStringLiteral("big.bin"))});
    QCOMPARE(first.exitCode, 0);
    QCOMPARE(second.out, first.out);
    QCOMPARE(readsOf(QStringLiteral("big.bin")), qsizetype(1)); // read once, whichever test asked first
}

void TestFerryGetSum::needsAUrl()
{
    const Run run = runGet({QStringLiteral("sum")});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains("sum takes one or more URLs"), run.err.constData());
}

QTEST_GUILESS_MAIN(TestFerryGetSum)
#include "tst_ferryget_sum.moc"
