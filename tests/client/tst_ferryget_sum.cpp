// `ferry-get sum URL...`: sha256sum lines for remote files without downloading them. The lines are
// checked by sha256sum -c itself against the served files; a missing file fails with exit 4 while the
// others are still printed; a folder is told that sum takes files; the server answers a second sum of an
// unchanged file from its cache.
#include "serverprocess.h"
#include "testtree.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

namespace {

using Run = ServerProcess::RunResult;

Run runGet(const QStringList &args) { return ServerProcess::runProgram(QStringLiteral(GET_BIN), args, 60000); }

} // namespace

class TestFerryGetSum : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void linesPassSha256sumCheck();
    void missingFileFailsTheRunNotTheOthers();
    void folderIsToldSumTakesFiles_data();
    void folderIsToldSumTakesFiles();
    void secondSumComesFromTheCache();
    void needsAUrl();

private:
    ferrytest::TestTree m_tree;
    QString m_hashLog;
    std::unique_ptr<ServerProcess> m_server;
    QString url(const QString &path) const
    {
        return QStringLiteral("ferry://%1:%2/%3").arg(m_server->host()).arg(m_server->port()).arg(path);
    }
};

void TestFerryGetSum::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("big.bin"), 9 * 1024 * 1024 + 5, 1).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("empty.bin"), 0, 2).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("dir/with space.bin"), 1000, 3).isEmpty());
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
    auto readsOfBig = [this] {
        QFile log(m_hashLog);
        return log.open(QIODevice::ReadOnly) ? log.readAll().count("big.bin") : -1;
    };
    const qsizetype before = readsOfBig();
    const Run first = runGet({QStringLiteral("sum"), url(QStringLiteral("big.bin"))});
    const Run second = runGet({QStringLiteral("sum"), url(QStringLiteral("big.bin"))});
    QCOMPARE(first.exitCode, 0);
    QCOMPARE(second.out, first.out);
    QVERIFY(before >= 0);
    QVERIFY(readsOfBig() <= 1); // read once at most, whichever test asked first
}

void TestFerryGetSum::needsAUrl()
{
    const Run run = runGet({QStringLiteral("sum")});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains("sum takes one or more URLs"), run.err.constData());
}

QTEST_GUILESS_MAIN(TestFerryGetSum)
#include "tst_ferryget_sum.moc"
