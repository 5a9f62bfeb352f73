// ferry-get given what a new user gets wrong: -O naming a folder, a port where something other than
// Ferry answers (over TLS and in plaintext) or that stays silent, a FERRY_TOKEN that has nothing to do
// with the command, an option another command reads.
// Each is one clear sentence and the right exit code, soon, with nothing written.
#include "serverprocess.h"
#include "testtree.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

namespace {

// An HTTP server as a Ferry client meets it by mistake: it answers whatever arrives with a 400 and closes.
class HttpLookalike : public QTcpServer
{
public:
    HttpLookalike()
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *peer = nextPendingConnection()) {
                connect(peer, &QTcpSocket::readyRead, peer, [peer] {
                    peer->readAll();
                    peer->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    peer->disconnectFromHost();
                });
                connect(peer, &QTcpSocket::disconnected, peer, &QObject::deleteLater);
            }
        });
    }
};

// A port that accepts and then says nothing, whatever it is sent: a server of another protocol waiting
// for the rest of its request (an HTTP server reading binary bytes without a line end does the same).
class SilentPeer : public QTcpServer
{
public:
    SilentPeer()
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *peer = nextPendingConnection())
                connect(peer, &QTcpSocket::disconnected, peer, &QObject::deleteLater); // kept open till then
        });
    }
};

struct Finished {
    int exitCode = -1;
    QByteArray err;
    qint64 elapsedMs = 0;
};

// Runs ferry-get while this test's event loop keeps running (so an in-process fake server answers).
Finished runGetAsync(const QStringList &args, const QStringList &environment)
{
    QProcess process;
    QProcessEnvironment variables = QProcessEnvironment::systemEnvironment();
    for (const QString &variable : environment)
        variables.insert(variable.section(u'=', 0, 0), variable.section(u'=', 1));
    process.setProcessEnvironment(variables);
    QSignalSpy finished(&process, &QProcess::finished);
    QElapsedTimer clock;
    clock.start();
    process.start(QStringLiteral(GET_BIN), args);
    Finished result;
    if (!finished.wait(60000)) {
        process.kill();
        process.waitForFinished(5000);
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.err = process.readAllStandardError();
    result.elapsedMs = clock.elapsed();
    return result;
}

} // namespace

class TestFerryGetInput : public QObject
{
    Q_OBJECT
private slots:
    void outputFileThatIsAFolderIsRefused();
    void portOfAnotherProtocolIsNamed_data();
    void portOfAnotherProtocolIsNamed();
    void silentPortIsNamedSoon();
    void slowAnswerAfterWelcomeIsWaitedFor();
    void knownServersNeedsNoToken();
    void optionOfAnotherCommandIsRefused_data();
    void optionOfAnotherCommandIsRefused();
    void destinationThatIsAFileIsNamed_data();
    void destinationThatIsAFileIsNamed();
    void manPageHasWhatHelpHas();
};

// -O DIR used to save the file beside DIR as "DIR (1)", as when a file of that name exists.
void TestFerryGetInput::outputFileThatIsAFolderIsRefused()
{
    ferrytest::TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("file.bin"), 1000, 1).isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QTemporaryDir parent;
    const QString folder = parent.filePath(QStringLiteral("downloads"));
    QVERIFY(QDir().mkpath(folder));
    const auto run = ServerProcess::runProgram(
        QStringLiteral(GET_BIN),
        {QStringLiteral("--no-progress"), QStringLiteral("-O"), folder,
         QStringLiteral("ferry://%1:%2/file.bin").arg(server.host()).arg(server.port())},
        30000);
    QVERIFY2(run.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(run.exitCode).arg(run.err)));
    QVERIFY2(run.err.startsWith("ferry-get: -O " + folder.toUtf8() + " is a folder"), run.err.constData());
    QCOMPARE(QDir(parent.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList{"downloads"});
    QVERIFY(QDir(folder).isEmpty());
}

void TestFerryGetInput::portOfAnotherProtocolIsNamed_data()
{
    QTest::addColumn<QString>("plaintext"); // FERRY_PLAINTEXT: empty is TLS
    QTest::newRow("TLS") << QString();
    QTest::newRow("plaintext") << QStringLiteral("1");
}

// Over TLS the HTTP answer used to read as a Ferry server's plaintext BUSY: "server busy", retried for
// about ten seconds, exit 3. In plaintext it was "bad data from ...: BadMarker".
void TestFerryGetInput::portOfAnotherProtocolIsNamed()
{
    QFETCH(QString, plaintext);
    HttpLookalike http;
    QVERIFY(http.listen(QHostAddress::LocalHost, 0));
    QTemporaryDir config, dest;
    const Finished run = runGetAsync(
        {QStringLiteral("--no-progress"), QStringLiteral("-o"), dest.path(),
         QStringLiteral("ferry://127.0.0.1:%1/file.bin").arg(http.serverPort())},
        {QStringLiteral("FERRY_PLAINTEXT=") + plaintext, QStringLiteral("XDG_CONFIG_HOME=") + config.path()});
    QVERIFY2(run.exitCode == 1, qPrintable(QStringLiteral("exit %1: %2").arg(run.exitCode).arg(run.err)));
    QVERIFY2(run.err.contains(QStringLiteral("127.0.0.1:%1 does not speak Ferry").arg(http.serverPort()).toUtf8()),
             run.err.constData());
    QVERIFY2(!run.err.contains("busy"), run.err.constData());
    QVERIFY2(run.elapsedMs < 8000, qPrintable(QStringLiteral("took %1 ms").arg(run.elapsedMs))); // no retries
    QVERIFY(QDir(dest.path()).isEmpty());
}

// In plaintext a port that accepted and stays silent used to be waited for 30 s, then "no data from ...".
// Now it is named as a port of another protocol is over TLS (FerryProbe), after the probe's 3 s.
void TestFerryGetInput::silentPortIsNamedSoon()
{
    SilentPeer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    QTemporaryDir config, dest;
    const Finished run = runGetAsync(
        {QStringLiteral("--no-progress"), QStringLiteral("-o"), dest.path(),
         QStringLiteral("ferry://127.0.0.1:%1/file.bin").arg(silent.serverPort())},
        {QStringLiteral("FERRY_PLAINTEXT=1"), QStringLiteral("XDG_CONFIG_HOME=") + config.path()});
    QVERIFY2(run.exitCode == 1, qPrintable(QStringLiteral("exit %1: %2").arg(run.exitCode).arg(run.err)));
    QVERIFY2(run.err.contains(QStringLiteral("127.0.0.1:%1 does not speak Ferry: is it the right port?")
                                  .arg(silent.serverPort())
                                  .toUtf8()),
             run.err.constData());
    QVERIFY2(run.elapsedMs < 20000, qPrintable(QStringLiteral("took %1 ms").arg(run.elapsedMs))); // not 30 s
    QVERIFY(QDir(dest.path()).isEmpty());
}

// The 3 s are for the first byte after HELLO only: a real server's WELCOME comes at once, and an answer
// that takes longer after it (a whole-file hash, held here by the server's test hook) is waited for.
void TestFerryGetInput::slowAnswerAfterWelcomeIsWaitedFor()
{
    ferrytest::TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("file.bin"), 3 << 20, 1).isEmpty()); // pieces of 1 MiB: held after one
    const QString pause = tree.base() + QStringLiteral("/hashing");
    qputenv("FERRY_TEST_HASH_PAUSE", pause.toLocal8Bit());
    ServerProcess server(tree.root());
    const bool started = server.start();
    qunsetenv("FERRY_TEST_HASH_PAUSE");
    QVERIFY2(started, qPrintable(server.diagnostics()));
    QTemporaryDir config;
    QProcess get;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("FERRY_PLAINTEXT"), QStringLiteral("1"));
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), config.path());
    get.setProcessEnvironment(environment);
    QSignalSpy finished(&get, &QProcess::finished);
    get.start(QStringLiteral(GET_BIN),
              {QStringLiteral("sum"), QStringLiteral("ferry://%1:%2/file.bin").arg(server.host()).arg(server.port())});
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pause), 10000); // the server hashes, held half-way
    constexpr int HelloDeadlineMs = 3000; // FerryProbe::TimeoutMs
    QVERIFY(!finished.wait(HelloDeadlineMs + 1000)); // past it, and still waiting for the answer
    QVERIFY(QFile::remove(pause));
    QVERIFY(finished.wait(30000));
    QVERIFY2(get.exitCode() == 0, get.readAllStandardError().constData());
    QVERIFY(get.readAllStandardOutput().endsWith("  file.bin\n"));
}

// known-servers speaks to no server: a FERRY_TOKEN left in the environment, even a malformed one, is not
// its business (it used to refuse: "--token is not an access token").
void TestFerryGetInput::knownServersNeedsNoToken()
{
    QTemporaryDir config;
    const auto run = ServerProcess::runProgram(
        QStringLiteral(GET_BIN), {QStringLiteral("known-servers"), QStringLiteral("list")}, 10000,
        {QStringLiteral("FERRY_TOKEN=not a token!"), QStringLiteral("XDG_CONFIG_HOME=") + config.path()});
    QVERIFY2(run.exitCode == 0, qPrintable(QStringLiteral("exit %1: %2").arg(run.exitCode).arg(run.err)));
    QVERIFY2(run.err.isEmpty(), run.err.constData());
}

void TestFerryGetInput::optionOfAnotherCommandIsRefused_data()
{
    QTest::addColumn<QStringList>("args"); // %URL% a folder URL, %OUT% a path nothing may create
    QTest::addColumn<QString>("error");
    const QString hex(64, u'a');
    QTest::newRow("ls -O") << QStringList{"ls", "-O", "%OUT%", "%URL%"}
                           << "-O applies to downloads, not to ferry-get ls";
    QTest::newRow("ls --output-file=") << QStringList{"ls", "--output-file=%OUT%", "%URL%"}
                                       << "--output-file applies to downloads, not to ferry-get ls";
    QTest::newRow("ls --sha256") << QStringList{"ls", "--sha256", hex, "%URL%"}
                                 << "--sha256 applies to downloads, not to ferry-get ls";
    QTest::newRow("ls -o") << QStringList{"ls", "-o", "%OUT%", "%URL%"} << "-o applies to downloads, not to ferry-get ls";
    QTest::newRow("sum --streams") << QStringList{"--streams", "2", "sum", "%URL%"}
                                   << "--streams applies to downloads, not to ferry-get sum";
    QTest::newRow("sum -j") << QStringList{"sum", "-j", "2", "%URL%"} << "-j applies to downloads, not to ferry-get sum";
    QTest::newRow("sum --on-exists") << QStringList{"sum", "--on-exists", "resume", "%URL%"}
                                     << "--on-exists applies to downloads, not to ferry-get sum";
    QTest::newRow("sum --no-verify") << QStringList{"sum", "--no-verify", "%URL%"}
                                     << "--no-verify applies to downloads, not to ferry-get sum";
    QTest::newRow("sum --json") << QStringList{"sum", "--json", "%URL%"}
                                << "--json applies to ferry-get ls, not to ferry-get sum";
    QTest::newRow("download --json") << QStringList{"--json", "-o", "%OUT%", "%URL%"}
                                     << "--json applies to ferry-get ls, not to downloads";
    QTest::newRow("known-servers --plaintext")
        << QStringList{"known-servers", "--plaintext", "list"}
        << "--plaintext applies to downloads, ls and sum, not to ferry-get known-servers";
    QTest::newRow("known-servers --no-progress") << QStringList{"known-servers", "list", "--no-progress"}
                                                 << "--no-progress applies to downloads, not to ferry-get known-servers";
}

// `ferry-get ls -O x URL` listed the folder and said nothing of -O; every option a command does not read
// is now refused by name, before any server is asked: the URL's port has no server, so a refusal that
// came after trying to connect would be exit 3.
void TestFerryGetInput::optionOfAnotherCommandIsRefused()
{
    QFETCH(QStringList, args);
    QFETCH(QString, error);
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
    const quint16 port = closed.serverPort();
    closed.close();
    QTemporaryDir parent, config;
    const QString out = parent.filePath(QStringLiteral("out"));
    for (QString &arg : args)
        arg.replace(QStringLiteral("%URL%"), QStringLiteral("ferry://127.0.0.1:%1/dir").arg(port))
            .replace(QStringLiteral("%OUT%"), out);
    const auto run = ServerProcess::runProgram(QStringLiteral(GET_BIN), args, 30000,
                                               {QStringLiteral("XDG_CONFIG_HOME=") + config.path()});
    QVERIFY2(run.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(run.exitCode).arg(run.err)));
    QCOMPARE(run.err, ("ferry-get: " + error + "\nTry 'ferry-get --help'.\n").toUtf8());
    QVERIFY(run.out.isEmpty());
    QVERIFY(QDir(parent.path()).isEmpty());
}

void TestFerryGetInput::destinationThatIsAFileIsNamed_data()
{
    QTest::addColumn<QString>("path");
    QTest::newRow("a file") << QStringLiteral("file.bin");
    QTest::newRow("a folder") << QStringLiteral("dir");
}

// -o naming a file (or a path through one): it said "mkdir X: cannot create the folder", not why.
void TestFerryGetInput::destinationThatIsAFileIsNamed()
{
    QFETCH(QString, path);
    ferrytest::TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("file.bin"), 1000, 1).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("dir/a.bin"), 1000, 2).isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QTemporaryDir parent;
    QFile blocker(parent.filePath(QStringLiteral("notes.txt")));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const auto run = ServerProcess::runProgram(
        QStringLiteral(GET_BIN),
        {QStringLiteral("--no-progress"), QStringLiteral("-o"), blocker.fileName() + QStringLiteral("/sub"),
         QStringLiteral("ferry://%1:%2/%3").arg(server.host()).arg(server.port()).arg(path)},
        30000);
    QVERIFY2(run.exitCode == 5, qPrintable(QStringLiteral("exit %1: %2").arg(run.exitCode).arg(run.err)));
    QVERIFY2(run.err.contains(blocker.fileName().toUtf8() + " is a file, not a folder"), run.err.constData());
    QCOMPARE(blocker.size(), 0);
}

// ferry-get(1) is what `man ferry-get` shows a new user: every option and exit code that --help lists.
void TestFerryGetInput::manPageHasWhatHelpHas()
{
    const auto help = ServerProcess::runProgram(QStringLiteral(GET_BIN), {QStringLiteral("--help")}, 10000);
    QCOMPARE(help.exitCode, 0);
    QFile page(QStringLiteral(FERRY_SOURCE_DIR "/resources/man/ferry-get.1"));
    QVERIFY(page.open(QIODevice::ReadOnly));
    const QString man = QString::fromUtf8(page.readAll());
    const QString text = QString::fromUtf8(help.out);
    static const QRegularExpression option(QStringLiteral("--([a-z][a-z0-9-]+)"));
    for (auto match = option.globalMatch(text); match.hasNext();) {
        const QString name = match.next().captured(1);
        if (name == QLatin1String("help-all"))
            continue; // Qt's own, for its options
        QVERIFY2(man.contains(QStringLiteral("\\-\\-") + QString(name).replace(u'-', QStringLiteral("\\-"))),
                 qPrintable(QStringLiteral("--%1 is not in ferry-get.1").arg(name)));
    }
    static const QRegularExpression exitCode(QStringLiteral("^  (\\d+)(?:, (\\d+))?  "),
                                             QRegularExpression::MultilineOption);
    const QString codes = text.mid(text.indexOf(QStringLiteral("Exit codes:")));
    int seen = 0;
    for (auto match = exitCode.globalMatch(codes); match.hasNext(); ++seen) {
        const auto found = match.next();
        for (const QString &code : {found.captured(1), found.captured(2)}) {
            if (!code.isEmpty())
                QVERIFY2(man.contains(QStringLiteral("\n.B ") + code + u'\n'),
                         qPrintable(QStringLiteral("exit code %1 is not in ferry-get.1").arg(code)));
        }
    }
    QVERIFY(seen >= 7);
}

QTEST_GUILESS_MAIN(TestFerryGetInput)
#include "tst_ferryget_input.moc"
