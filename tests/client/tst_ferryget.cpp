// ferry-get as scripts see it: exit codes, listings, and its memory use on a big file.
#include "closedport.h"
#include "serverprocess.h"
#include "testtree.h"

#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace {

using Run = ServerProcess::RunResult;

Run runGet(const QStringList &args, int timeoutMs = 60000)
{
    return ServerProcess::runProgram(QStringLiteral(GET_BIN), args, timeoutMs);
}

using ferrytest::closedPort;

// Runs ferry-get and returns its peak RSS in KiB from wait4(): the kernel's own
// high-water mark for exactly that child, or -1 on failure.
long peakRssOfGet(const QStringList &args, int *exitCode)
{
    QList<QByteArray> storage{QByteArray(GET_BIN)};
    for (const QString &arg : args)
        storage << arg.toLocal8Bit();
    std::vector<char *> argv;
    for (QByteArray &arg : storage)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawn(&pid, GET_BIN, nullptr, nullptr, argv.data(), environ) != 0)
        return -1;
    int status = 0;
    rusage usage{};
    for (int waited = 0; waited < 240000; waited += 50) {
        const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
        if (done == pid) {
            *exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            return usage.ru_maxrss;
        }
        QTest::qSleep(50);
    }
    ::kill(pid, SIGKILL);
    ::wait4(pid, &status, 0, &usage);
    return -1;
}

} // namespace

class TestFerryGet : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void exitCodes_data();
    void exitCodes();
    void downloadsFolder();
    void helpDocumentsExitCodes();
    void linkAsPastedDownloads();
    void badLinkIsExplainedInASentence();
    void listsLikeLsL();
    void listsJson();
    void interruptKeepsPartForResume();
    void sigintExits130();
    void outputFileStreamTargets_data();
    void outputFileStreamTargets();
    void protocolErrorExits1();
    void firstFailureDecidesTheCode_data();
    void firstFailureDecidesTheCode();
    void peakRssOnOneGiB();

private:
    ferrytest::TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
    QString url(const QString &path) const
    {
        return QStringLiteral("ferry://%1:%2/%3").arg(m_server->host()).arg(m_server->port()).arg(path);
    }
};

void TestFerryGet::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("file.bin"), 300000, 1).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("dir/a.bin"), 1000, 2).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("dir/sub/b.bin"), 2000, 3).isEmpty());
    QVERIFY(!m_tree.addDir(QStringLiteral("dir/empty")).isEmpty());
    QVERIFY(!m_tree.addFile(QString::fromUtf8("docs/\u00dcberweisung 2026.pdf"), 4000, 4).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root());
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestFerryGet::cleanupTestCase()
{
    m_server.reset();
}

void TestFerryGet::exitCodes_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("expected");
    QTest::newRow("success") << "success" << 0;
    QTest::newRow("success into a new folder") << "new-folder" << 0;
    QTest::newRow("missing remote file") << "missing" << 4;
    QTest::newRow("unreachable server") << "unreachable" << 3;
    QTest::newRow("unwritable destination") << "unwritable" << 5;
    QTest::newRow("no url") << "no-url" << 2;
    QTest::newRow("bad url") << "bad-url" << 2;
    QTest::newRow("bad policy") << "bad-policy" << 2;
    QTest::newRow("unknown option") << "bad-option" << 2;
}

void TestFerryGet::exitCodes()
{
    QFETCH(QString, kind);
    QFETCH(int, expected);
    QTemporaryDir dest;
    QStringList args{QStringLiteral("-o"), dest.path()};
    QString saved = dest.filePath(QStringLiteral("file.bin"));
    if (kind == QLatin1String("success")) {
        args << url(QStringLiteral("file.bin"));
    } else if (kind == QLatin1String("new-folder")) {
        args = QStringList{QStringLiteral("-o"), dest.filePath(QStringLiteral("new/sub")),
                           url(QStringLiteral("file.bin"))};
        saved = dest.filePath(QStringLiteral("new/sub/file.bin"));
    } else if (kind == QLatin1String("missing")) {
        args << url(QStringLiteral("no/such/file.bin"));
    } else if (kind == QLatin1String("unreachable")) {
        const quint16 port = closedPort();
        QVERIFY(port != 0);
        args << QStringLiteral("ferry://127.0.0.1:%1/file.bin").arg(port);
    } else if (kind == QLatin1String("unwritable")) {
        // A folder below a regular file cannot exist, even for root.
        const QString blocker = dest.filePath(QStringLiteral("blocker"));
        QFile file(blocker);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        args = QStringList{QStringLiteral("-o"), blocker + QStringLiteral("/sub"), url(QStringLiteral("file.bin"))};
    } else if (kind == QLatin1String("no-url")) {
        args = QStringList{QStringLiteral("-o"), dest.path()};
    } else if (kind == QLatin1String("bad-url")) {
        args << QStringLiteral("http://127.0.0.1/file.bin");
    } else if (kind == QLatin1String("bad-policy")) {
        args << QStringLiteral("--on-exists") << QStringLiteral("maybe") << url(QStringLiteral("file.bin"));
    } else {
        args << QStringLiteral("--frobnicate") << url(QStringLiteral("file.bin"));
    }
    const Run run = runGet(args);
    QVERIFY2(run.exitCode == expected,
             qPrintable(QStringLiteral("exit %1, stderr: %2").arg(run.exitCode).arg(QString::fromLocal8Bit(run.err))));
    if (expected == 0) {
        QString why;
        QVERIFY2(ferrytest::sameContent(m_tree.path(QStringLiteral("file.bin")), saved, &why), qPrintable(why));
    } else {
        QVERIFY(!run.err.isEmpty()); // a failure always says why
        QVERIFY(!QFile::exists(dest.filePath(QStringLiteral("file.bin"))));
    }
}

void TestFerryGet::downloadsFolder()
{
    QTemporaryDir dest;
    const Run run = runGet({QStringLiteral("-o"), dest.path(), QStringLiteral("-j"), QStringLiteral("2"),
                            url(QStringLiteral("dir"))});
    QCOMPARE(run.exitCode, 0);
    QString why;
    QVERIFY2(ferrytest::sameContent(m_tree.path(QStringLiteral("dir/sub/b.bin")),
                                    dest.filePath(QStringLiteral("dir/sub/b.bin")), &why),
             qPrintable(why));
    QVERIFY(QFileInfo(dest.filePath(QStringLiteral("dir/empty"))).isDir());
    // Not a terminal: one plain line per file, no escape sequences.
    QVERIFY(run.err.contains("done"));
    QVERIFY(!run.err.contains('\x1b'));
}

void TestFerryGet::helpDocumentsExitCodes()
{
    const Run run = runGet({QStringLiteral("--help")});
    QCOMPARE(run.exitCode, 0);
    for (const char *line : {"0  every file", "2  usage", "3  connection", "4  remote", "5  local"})
        QVERIFY2(run.out.contains(line), line);
}

// A link pasted with a raw space and unescaped UTF-8, as people copy it from a page.
void TestFerryGet::linkAsPastedDownloads()
{
    QTemporaryDir dest;
    const QString name = QString::fromUtf8("\u00dcberweisung 2026.pdf");
    const Run run = runGet({QStringLiteral("-o"), dest.path(), url(QStringLiteral("docs/") + name)});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QString why;
    QVERIFY2(ferrytest::sameContent(m_tree.path(QStringLiteral("docs/") + name), dest.filePath(name), &why),
             qPrintable(why));
}

void TestFerryGet::badLinkIsExplainedInASentence()
{
    const Run run = runGet({QStringLiteral("http://127.0.0.1:8080/file.bin")});
    QCOMPARE(run.exitCode, 2);
    const QString first = QString::fromLocal8Bit(run.err).section(u'\n', 0, 0);
    QVERIFY2(first.startsWith(QStringLiteral("ferry-get: ")) && first.endsWith(u'.'), qPrintable(first));
    QVERIFY2(first.contains(QStringLiteral("http://127.0.0.1:8080/file.bin")), qPrintable(first));
    QVERIFY2(first.contains(QStringLiteral("ferry://")), qPrintable(first));
}

void TestFerryGet::listsLikeLsL()
{
    const Run run = runGet({QStringLiteral("ls"), url(QStringLiteral("dir"))});
    QCOMPARE(run.exitCode, 0);
    const QList<QByteArray> lines = run.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QVERIFY2(lines.at(0).startsWith("- ") && lines.at(0).endsWith(" a.bin") && lines.at(0).contains(" 1000 "),
             lines.at(0).constData());
    QVERIFY(lines.at(1).startsWith("d ") && lines.at(1).endsWith(" empty/"));
    QVERIFY(lines.at(2).startsWith("d ") && lines.at(2).endsWith(" sub/"));
    const Run missing = runGet({QStringLiteral("ls"), url(QStringLiteral("nothing-here"))});
    QCOMPARE(missing.exitCode, 4);
}

void TestFerryGet::listsJson()
{
    const Run run = runGet({QStringLiteral("ls"), QStringLiteral("--json"), url(QString())});
    QCOMPARE(run.exitCode, 0);
    QJsonParseError error;
    const QJsonArray entries = QJsonDocument::fromJson(run.out, &error).array();
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    QCOMPARE(entries.size(), 3);
    QCOMPARE(entries.at(0).toObject().value(QLatin1String("name")).toString(), QStringLiteral("dir"));
    QCOMPARE(entries.at(0).toObject().value(QLatin1String("type")).toString(), QStringLiteral("directory"));
    QCOMPARE(entries.at(1).toObject().value(QLatin1String("name")).toString(), QStringLiteral("docs"));
    const QJsonObject file = entries.at(2).toObject();
    QCOMPARE(file.value(QLatin1String("name")).toString(), QStringLiteral("file.bin"));
    QCOMPARE(file.value(QLatin1String("size")).toInteger(), 300000);
    QCOMPARE(file.value(QLatin1String("mtimeNs")).toString().toLongLong(),
             ferrytest::fileMtimeNs(m_tree.path(QStringLiteral("file.bin"))));
}

void TestFerryGet::interruptKeepsPartForResume()
{
    ferrytest::TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("slow.bin"), 8 * 1024 * 1024, 31);
    QVERIFY(!remote.isEmpty());
    ServerProcess slow(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("2000000")});
    QVERIFY2(slow.start(), qPrintable(slow.diagnostics()));
    const QString link = QStringLiteral("ferry://%1:%2/slow.bin").arg(slow.host()).arg(slow.port());
    QTemporaryDir dest;
    const QString part = dest.filePath(QStringLiteral("slow.bin.part"));

    // The unverified path resumes byte by byte; tst_ferryget_verified interrupts a verified download.
    QProcess process;
    process.start(QStringLiteral(GET_BIN), {QStringLiteral("--no-verify"), QStringLiteral("-o"), dest.path(), link});
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(part).size() > 256 * 1024, 30000);
    process.terminate(); // SIGTERM
    QVERIFY(process.waitForFinished(15000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 128 + SIGTERM);
    QVERIFY(process.readAllStandardError().contains("interrupted"));
    const qint64 kept = QFileInfo(part).size();
    QVERIFY(kept > 0);
    QVERIFY(!QFile::exists(dest.filePath(QStringLiteral("slow.bin"))));

    const Run again = runGet({QStringLiteral("--no-verify"), QStringLiteral("-o"), dest.path(), link});
    QCOMPARE(again.exitCode, 0);
    QVERIFY2(again.err.contains("resuming"), again.err.constData());
    QString why;
    QVERIFY2(ferrytest::sameContent(remote, dest.filePath(QStringLiteral("slow.bin")), &why), qPrintable(why));
}

// Ctrl-C: exit 128 + SIGINT, the .part kept for a resume (--help: "130, 143").
void TestFerryGet::sigintExits130()
{
    ferrytest::TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("slow.bin"), 8 * 1024 * 1024, 32).isEmpty());
    ServerProcess slow(tree.root(), {QStringLiteral("--rate-limit"), QStringLiteral("2000000")});
    QVERIFY2(slow.start(), qPrintable(slow.diagnostics()));
    QTemporaryDir dest;
    const QString part = dest.filePath(QStringLiteral("slow.bin.part"));
    QProcess process;
    const QString link = QStringLiteral("ferry://%1:%2/slow.bin").arg(slow.host()).arg(slow.port());
    process.start(QStringLiteral(GET_BIN), {QStringLiteral("-o"), dest.path(), link});
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(part).size() > 256 * 1024, 30000);
    QCOMPARE(::kill(pid_t(process.processId()), SIGINT), 0);
    QVERIFY(process.waitForFinished(15000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 128 + SIGINT);
    QVERIFY(QFileInfo(part).size() > 0);
    QVERIFY(!QFile::exists(dest.filePath(QStringLiteral("slow.bin"))));
}

void TestFerryGet::outputFileStreamTargets_data()
{
    QTest::addColumn<QString>("target");
    QTest::newRow("standard output") << "-";
    QTest::newRow("/dev/null") << "/dev/null";
}

// -O - writes the file's bytes to standard output, -O /dev/null to the device: directly, with no
// .part or metadata file beside the target (nor in the current folder).
void TestFerryGet::outputFileStreamTargets()
{
    QFETCH(QString, target);
    QTemporaryDir cwd;
    QProcess process;
    process.setWorkingDirectory(cwd.path());
    process.start(QStringLiteral(GET_BIN), {QStringLiteral("-O"), target, url(QStringLiteral("file.bin"))});
    QVERIFY(process.waitForFinished(60000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    const QByteArray out = process.readAllStandardOutput();
    if (target == QLatin1String("-")) {
        QCOMPARE(out.size(), 300000);
        QVERIFY(out == ferrytest::patternBytes(1, 0, 300000));
    } else {
        QVERIFY(out.isEmpty());
        QVERIFY(QFileInfo(target).exists() && !QFileInfo(target).isFile()); // still the device
    }
    QVERIFY(!QFile::exists(target + QStringLiteral(".part")));
    QVERIFY(!QFile::exists(target + QStringLiteral(".part.ferry")));
    QCOMPARE(QDir(cwd.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
}

// A "server" that answers HELLO with bytes that are no Ferry frame: exit 1 (protocol error).
void TestFerryGet::protocolErrorExits1()
{
    QTcpServer fake;
    QVERIFY(fake.listen(QHostAddress::LocalHost, 0));
    connect(&fake, &QTcpServer::newConnection, this, [&fake] {
        while (QTcpSocket *peer = fake.nextPendingConnection())
            peer->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    QProcess process;
    QSignalSpy finished(&process, &QProcess::finished);
    process.start(QStringLiteral(GET_BIN), {QStringLiteral("-O"), QStringLiteral("/dev/null"),
                                            QStringLiteral("ferry://127.0.0.1:%1/file.bin").arg(fake.serverPort())});
    QVERIFY(finished.wait(60000)); // the event loop runs meanwhile, so the fake answers
    const QByteArray err = process.readAllStandardError();
    QVERIFY2(process.exitCode() == 1, qPrintable(QStringLiteral("exit %1: %2").arg(process.exitCode()).arg(err)));
    QVERIFY(!err.isEmpty());
}

void TestFerryGet::firstFailureDecidesTheCode_data()
{
    QTest::addColumn<QStringList>("kinds"); // in command-line order
    QTest::addColumn<int>("expected");
    QTest::newRow("missing, then unreachable") << QStringList{"ok", "missing", "unreachable"} << 4;
    QTest::newRow("unreachable, then missing") << QStringList{"unreachable", "ok", "missing"} << 3;
}

// --help: "When several downloads fail, the code of the first failure is returned": the first in the
// order given, whichever ends first; the downloads that can succeed still do.
void TestFerryGet::firstFailureDecidesTheCode()
{
    QFETCH(QStringList, kinds);
    QFETCH(int, expected);
    const quint16 closed = closedPort();
    QVERIFY(closed != 0);
    QTemporaryDir dest;
    QStringList args{QStringLiteral("-o"), dest.path()};
    for (const QString &kind : kinds) {
        if (kind == QLatin1String("ok"))
            args << url(QStringLiteral("file.bin"));
        else if (kind == QLatin1String("missing"))
            args << url(QStringLiteral("no-such.bin"));
        else
            args << QStringLiteral("ferry://127.0.0.1:%1/elsewhere.bin").arg(closed);
    }
    const Run run = runGet(args);
    QVERIFY2(run.exitCode == expected,
             qPrintable(QStringLiteral("exit %1, stderr: %2").arg(run.exitCode).arg(QString::fromLocal8Bit(run.err))));
    QString why;
    const QString saved = dest.filePath(QStringLiteral("file.bin"));
    QVERIFY2(ferrytest::sameContent(m_tree.path(QStringLiteral("file.bin")), saved, &why), qPrintable(why));
}

void TestFerryGet::peakRssOnOneGiB()
{
    // Dense pattern data, not a sparse file: a client that wrote zeros, or misplaced a block, must show.
    const qint64 size = qint64(1) << 30;
    constexpr quint32 Seed = 61;
    const QString big = m_tree.addFile(QStringLiteral("big.bin"), uint64_t(size), Seed);
    QVERIFY(!big.isEmpty());
    auto removeBig = qScopeGuard([&] { QFile::remove(big); });
    QTemporaryDir dest;
    int exitCode = -1;
    const long peakKiB = peakRssOfGet({QStringLiteral("-o"), dest.path(), url(QStringLiteral("big.bin"))}, &exitCode);
    QCOMPARE(exitCode, 0);
    QFile saved(dest.filePath(QStringLiteral("big.bin")));
    QVERIFY(saved.open(QIODevice::ReadOnly));
    QCOMPARE(saved.size(), size);
    ferrytest::PatternVerifier verifier(Seed);
    while (!saved.atEnd()) {
        const QByteArray chunk = saved.read(4 * 1024 * 1024);
        QVERIFY(!chunk.isEmpty());
        QVERIFY2(verifier.update(chunk.constData(), size_t(chunk.size())),
                 qPrintable(QStringLiteral("first wrong byte at %1").arg(verifier.firstMismatch())));
    }
    QCOMPARE(qint64(verifier.position()), size);
    QVERIFY2(peakKiB > 0 && peakKiB < 64 * 1024, qPrintable(QStringLiteral("peak RSS %1 KiB").arg(peakKiB)));
    qInfo("ferry-get peak RSS for 1 GiB: %ld KiB", peakKiB);
}

QTEST_GUILESS_MAIN(TestFerryGet)
#include "tst_ferryget.moc"
