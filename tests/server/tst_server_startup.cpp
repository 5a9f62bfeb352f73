// ferry-server's start-up: refusals exit 2 with a one-line reason and leave the state directory as it
// was (every input is checked before anything is made), --help and --version, the config file against
// the command line, and dropping privileges.
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QTcpServer>
#include <QTest>

#include <pwd.h>
#include <unistd.h>

using namespace ferrytest;

class TestServerStartup : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void startupRefusals_data();
    void startupRefusals();
    void refusedStartLeavesTheStateDirAsItWas_data();
    void refusedStartLeavesTheStateDirAsItWas();
    void helpAndVersion();
    void dropsPrivilegesWithUser();
    void configFileAndCommandLine();
};

void TestServerStartup::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty()) {
        QSKIP("ferry-server is not built in this tree");
    }
}

void TestServerStartup::startupRefusals_data()
{
    QTest::addColumn<QStringList>("args");  // %ROOT%, %FILE%, %PORT%, %CONFIG% are substituted
    QTest::addColumn<QString>("config");    // content written to %CONFIG%
    QTest::addColumn<QString>("mentions");  // the reason must name this

    QTest::newRow("missing root") << QStringList{"--root", "%ROOT%/does-not-exist"} << QString()
                                  << QStringLiteral("does-not-exist");
    QTest::newRow("root is a file") << QStringList{"--root", "%FILE%"} << QString() << QStringLiteral("plain-file");
    QTest::newRow("no root given") << QStringList{"--listen", "127.0.0.1:0"} << QString() << QStringLiteral("root");
    QTest::newRow("port taken") << QStringList{"--root", "%ROOT%", "--listen", "127.0.0.1:%PORT%"} << QString()
                                << QStringLiteral("%PORT%");
    QTest::newRow("unparsable listen address") << QStringList{"--root", "%ROOT%", "--listen", "nowhere:-1"}
                                               << QString() << QStringLiteral("nowhere");
    // getaddrinfo() keeps the low 16 bits of a port: 70000 would quietly be 4464.
    QTest::newRow("listen port beyond 65535") << QStringList{"--root", "%ROOT%", "--listen", "127.0.0.1:70000"}
                                              << QString() << QStringLiteral("70000");
    QTest::newRow("metrics port beyond 65535")
        << QStringList{"--root", "%ROOT%", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:99999"}
        << QString() << QStringLiteral("99999");
    QTest::newRow("unknown option") << QStringList{"--root", "%ROOT%", "--frobnicate"} << QString()
                                    << QStringLiteral("frobnicate");
    QTest::newRow("bad duration") << QStringList{"--root", "%ROOT%", "--request-timeout", "5parsecs"} << QString()
                                  << QStringLiteral("request-timeout");
    QTest::newRow("missing config file") << QStringList{"--root", "%ROOT%", "--config", "%ROOT%/none.conf"}
                                         << QString() << QStringLiteral("none.conf");
    QTest::newRow("invalid config value") << QStringList{"--root", "%ROOT%", "--config", "%CONFIG%"}
                                          << QStringLiteral("workers = banana\n") << QStringLiteral("workers");
    QTest::newRow("TLS key missing") << QStringList{"--root", "%ROOT%", "--tls-cert", "%ROOT%/../no.crt",
                                                    "--tls-key", "%ROOT%/../no.key"}
                                     << QString() << QStringLiteral("no.key");
    QTest::newRow("unknown config key") << QStringList{"--root", "%ROOT%", "--config", "%CONFIG%"}
                                        << QStringLiteral("# comment\nfrobnicate = 1\n")
                                        << QStringLiteral("frobnicate");
}

// Refusals exit with 2, print no listening line, and give the reason on stderr.
void TestServerStartup::startupRefusals()
{
    QFETCH(QStringList, args);
    QFETCH(QString, config);
    QFETCH(QString, mentions);

    TestTree tree;
    QVERIFY(tree.isValid());
    const QString file = tree.addTextFile(QStringLiteral("plain-file"), "x");
    const QString configPath = tree.base() + QStringLiteral("/ferry.conf");
    if (!config.isEmpty()) {
        QFile f(configPath);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(config.toUtf8());
    }
    QTcpServer occupant;
    QVERIFY(occupant.listen(QHostAddress::LocalHost, 0));
    const QString port = QString::number(occupant.serverPort());
    for (QString &arg : args) {
        arg.replace(QStringLiteral("%ROOT%"), tree.root())
            .replace(QStringLiteral("%FILE%"), file)
            .replace(QStringLiteral("%PORT%"), port)
            .replace(QStringLiteral("%CONFIG%"), configPath);
    }
    mentions.replace(QStringLiteral("%PORT%"), port);
    // Never the default admin socket: other servers may be running side by side. A state directory not
    // made yet, below a folder not made yet either: a refused start makes neither.
    args << QStringLiteral("--admin-socket") << tree.base() + QStringLiteral("/admin/admin.sock");
    const QString stateParent = tree.base() + QStringLiteral("/state");
    args << QStringLiteral("--state-dir") << stateParent + QStringLiteral("/ferry");

    const ServerProcess::RunResult result = ServerProcess::run(args, 20000);
    const QString err = QString::fromUtf8(result.err);
    QVERIFY2(result.exitCode == 2,
             qPrintable(QStringLiteral("exit code %1, stderr: %2").arg(result.exitCode).arg(err)));
    QVERIFY2(!result.out.contains("listening on"), result.out.constData());
    QVERIFY2(err.contains(mentions), qPrintable(QStringLiteral("stderr does not name '%1': %2").arg(mentions, err)));
    QVERIFY2(err.trimmed().count(u'\n') == 0, qPrintable(QStringLiteral("reason not on one line: ") + err));
    QVERIFY2(!QFileInfo::exists(stateParent), qPrintable(stateParent + QStringLiteral(" was made")));
}

namespace {

// Every entry below `dir` with its size and modification time, sorted: what a refused start must not change.
QStringList stateListing(const QString &dir)
{
    QStringList entries;
    QDirIterator it(dir, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        const QFileInfo info = it.fileInfo();
        entries << QStringLiteral("%1 %2 %3")
                       .arg(QDir(dir).relativeFilePath(info.filePath()))
                       .arg(info.isDir() ? -1 : info.size())
                       .arg(info.lastModified().toMSecsSinceEpoch());
    }
    entries.sort();
    return entries;
}

} // namespace

void TestServerStartup::refusedStartLeavesTheStateDirAsItWas_data()
{
    QTest::addColumn<QStringList>("args"); // %ROOT%, %BASE% are substituted; --root %ROOT% unless given
    QTest::addColumn<bool>("asRoot");      // the row needs root (--user)
    QTest::addColumn<bool>("keptState");   // the state directory holds an identity and a token store already
    QTest::addColumn<QString>("mentions");

    QTest::newRow("missing root") << QStringList{"--root", "%ROOT%/does-not-exist"} << false << false
                                  << QStringLiteral("does-not-exist");
    QTest::newRow("audit log in a missing folder") << QStringList{"--audit-log", "%BASE%/no-such-folder/audit.log"}
                                                   << false << false << QStringLiteral("no-such-folder");
    QTest::newRow("audit log is a folder") << QStringList{"--audit-log", "%BASE%"} << false << false
                                           << QStringLiteral("not a regular file");
    QTest::newRow("audit log inside the root") << QStringList{"--audit-log", "%ROOT%/audit.log"} << false << false
                                               << QStringLiteral("inside the served root");
    QTest::newRow("unknown user") << QStringList{"--user", "no-such-ferry-user"} << false << false
                                  << QStringLiteral("no-such-ferry-user");
    // The test's folders are private (0700, root's): the --user can read neither the root nor the log's folder.
    QTest::newRow("root unreadable by --user") << QStringList{"--user", "nobody", "--audit-log", "off"} << true
                                               << false << QStringLiteral("as --user nobody");
    QTest::newRow("root unreadable by --user, state kept")
        << QStringList{"--user", "nobody", "--audit-log", "off"} << true << true << QStringLiteral("as --user nobody");
    // %BASE%/root-only.log is made root's, 0644, in folders opened to others for this row.
    QTest::newRow("audit log unwritable by --user")
        << QStringList{"--user", "nobody", "--audit-log", "%BASE%/root-only.log"} << true << false
        << QStringLiteral("cannot open the audit log");
}

// A refused start used to leave what it had made: an empty manifests/ folder for a --root that does not
// exist, manifests/ and a new identity for a bad --audit-log (opened last), and the same for a root the
// --user cannot read (found only once privileges were dropped). Now every input is checked first.
void TestServerStartup::refusedStartLeavesTheStateDirAsItWas()
{
    QFETCH(QStringList, args);
    QFETCH(bool, asRoot);
    QFETCH(bool, keptState);
    QFETCH(QString, mentions);
    if (asRoot && (::geteuid() != 0 || !::getpwnam("nobody")))
        QSKIP("needs root and a user 'nobody'");
    TestTree tree;
    QVERIFY(tree.isValid());
    QVERIFY(!tree.addFile(QStringLiteral("f.bin"), 100, 1).isEmpty());
    const QString state = tree.base() + QStringLiteral("/state");
    QVERIFY(QDir().mkpath(state));
    if (keptState) { // a state directory from an earlier start: identity, tokens, manifests/
        ServerProcess earlier(tree.root(), {QStringLiteral("--state-dir"), state});
        QVERIFY2(earlier.start(), qPrintable(earlier.diagnostics()));
        QCOMPARE(earlier.stop(), 0);
        QVERIFY(QFileInfo::exists(state + QStringLiteral("/manifests")));
    }
    if (args.contains(QStringLiteral("%BASE%/root-only.log"))) {
        const auto open = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
                          | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther;
        QVERIFY(QFile::setPermissions(tree.base(), open) && QFile::setPermissions(tree.root(), open));
        QFile log(tree.base() + QStringLiteral("/root-only.log"));
        QVERIFY(log.open(QIODevice::WriteOnly));
        QVERIFY(log.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther));
    }
    for (QString &arg : args)
        arg.replace(QStringLiteral("%ROOT%"), tree.root()).replace(QStringLiteral("%BASE%"), tree.base());
    if (!args.contains(QStringLiteral("--root")))
        args << QStringLiteral("--root") << tree.root();
    args << QStringLiteral("--state-dir") << state << QStringLiteral("--listen") << QStringLiteral("127.0.0.1:0")
         << QStringLiteral("--admin-socket") << tree.base() + QStringLiteral("/admin/admin.sock");
    const QStringList before = stateListing(state);
    const ServerProcess::RunResult result = ServerProcess::run(args, 20000);
    const QString err = QString::fromUtf8(result.err);
    QVERIFY2(result.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(result.exitCode).arg(err)));
    QCOMPARE(stateListing(state), before);
    QVERIFY2(err.contains(mentions), qPrintable(QStringLiteral("stderr does not name '%1': %2").arg(mentions, err)));
    QVERIFY2(err.trimmed().count(u'\n') == 0, qPrintable(QStringLiteral("reason not on one line: ") + err));
}

void TestServerStartup::helpAndVersion()
{
    const ServerProcess::RunResult help = ServerProcess::run({"--help"});
    QCOMPARE(help.exitCode, 0);
    QVERIFY2(help.out.contains("--root"), help.out.constData());
    const ServerProcess::RunResult version = ServerProcess::run({"--version"});
    QCOMPARE(version.exitCode, 0);
    QVERIFY2(version.out.contains("ferry-server"), version.out.constData());
}

namespace {

// The "Uid:" line of /proc/PID/status: real, effective, saved and filesystem uid.
QList<uint> processUids(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly)) {
        return {};
    }
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("Uid:")) {
            QList<uint> uids;
            for (const QByteArray &field : line.mid(4).simplified().split(' ')) {
                uids << field.toUInt();
            }
            return uids;
        }
    }
    return {};
}

} // namespace

// Started as root with --user, the server (parent and workers) runs as that user
// once it has bound its socket, and still serves.
void TestServerStartup::dropsPrivilegesWithUser()
{
    if (::geteuid() != 0) {
        QSKIP("needs root");
    }
    const passwd *nobody = ::getpwnam("nobody");
    if (!nobody) {
        QSKIP("no user 'nobody' here");
    }
    const uint uid = nobody->pw_uid;
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("p.bin"), 1000, 3).isEmpty());
    const auto readable = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
        | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther;
    QVERIFY(QFile::setPermissions(tree.base(), readable) && QFile::setPermissions(tree.root(), readable));
    ServerProcess server(tree.root(), {"--workers", "2", "--user", "nobody"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(2));

    QList<qint64> processes = server.workerPids();
    processes.prepend(server.pid());
    for (qint64 pid : processes) {
        QCOMPARE(processUids(pid), (QList<uint>{uid, uid, uid, uid}));
    }
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    const GetResult r = client.get("p.bin");
    QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
    QVERIFY(r.data == patternBytes(3, 0, 1000));
    QCOMPARE(server.stop(), 0);
}

// The config file sets what the command line does not; the command line wins.
// The sample config shipped in resources/ parses and starts.
void TestServerStartup::configFileAndCommandLine()
{
    TestTree tree;
    QVERIFY(!tree.addTextFile(QStringLiteral(".dotfile"), "seen\n").isEmpty());
    const QString config = tree.base() + QStringLiteral("/ferry.conf");
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("# test\nworkers = 3\nshow-hidden = yes\nrequest-timeout = \"15s\"\n");
    file.close();

    ServerProcess fromFile(tree.root(), {"--config", config});
    QVERIFY2(fromFile.start(), qPrintable(fromFile.diagnostics()));
    QVERIFY(fromFile.waitForWorkerCount(3));
    TestClient client;
    QVERIFY(client.open(fromFile.host(), fromFile.port()).ok());
    const ListResult listing = client.list("");
    QVERIFY2(listing.status.ok(), qPrintable(listing.status.toString()));
    QCOMPARE(listing.entries.size(), size_t(1));
    QCOMPARE(QString::fromStdString(listing.entries.front().name), QStringLiteral(".dotfile"));
    QCOMPARE(client.get(".dotfile").data, QByteArray("seen\n"));
    QCOMPARE(fromFile.stop(), 0);

    ServerProcess overridden(tree.root(), {"--config", config, "--workers", "2"});
    QVERIFY2(overridden.start(), qPrintable(overridden.diagnostics()));
    QVERIFY(overridden.waitForWorkerCount(2));
    QCOMPARE(overridden.stop(), 0);

    const QString sample = QStringLiteral(FERRY_SOURCE_DIR "/resources/ferry-server.conf");
    QVERIFY2(QFile::exists(sample), qPrintable(sample + QStringLiteral(" is gone: the shipped sample must be tested")));
    ServerProcess shipped(tree.root(), {"--config", sample, "--listen", "127.0.0.1:0"});
    QVERIFY2(shipped.start(), qPrintable(shipped.diagnostics()));
    QCOMPARE(shipped.stop(), 0);
}

QTEST_GUILESS_MAIN(TestServerStartup)
#include "tst_server_startup.moc"
