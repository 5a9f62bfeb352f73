// ferry-ctl's command line as a new user meets it (docs/ADMIN.md §7): every command has its own --help,
// and a mistyped option or a number that is not one is refused with exit code 2 and a message naming it,
// before any connection is tried. Runs the real binary; no server is needed, none is started.
#include "serverprocess.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

namespace {

using Run = ServerProcess::RunResult;

// The admin socket points into an empty directory: had ferry-ctl tried to connect, it would exit 3.
Run ctl(const QStringList &args)
{
    static QTemporaryDir nowhere;
    return ServerProcess::runProgram(
        QStringLiteral(CTL_BIN),
        QStringList{QStringLiteral("--admin-socket"), nowhere.filePath(QStringLiteral("admin.sock"))} + args, 10000);
}

// The commands the top-level help lists, in its order.
QStringList listedCommands()
{
    const QByteArray help = ctl({QStringLiteral("--help")}).out;
    const qsizetype start = help.indexOf("Subcommands:\n");
    QStringList names;
    if (start < 0)
        return names;
    static const QRegularExpression row(QStringLiteral("^  ([a-z-]+) "));
    for (const QByteArray &line : help.mid(start).split('\n')) {
        if (const auto match = row.match(QString::fromUtf8(line)); match.hasMatch())
            names << match.captured(1);
    }
    return names;
}

} // namespace

class TestCtlCommandLine : public QObject {
    Q_OBJECT
private slots:
    void everyCommandIsListed();
    void helpOfEveryCommand();
    void refused_data();
    void refused();
    void version();
    void pathThatIsNoSocketIsNamed();
    void auditOfAFolderIsAnError();
};

void TestCtlCommandLine::everyCommandIsListed()
{
    // docs/ADMIN.md §7 names these; a command dropped from the parser (or one added without a row in the
    // docs and here) fails this test.
    QCOMPARE(listedCommands(), QStringList({"version", "status", "identity", "metrics", "history", "watch", "pool",
                                            "drain", "resume", "reload", "rate-limit", "kill-worker", "disconnect",
                                            "token", "audit"}));
}

void TestCtlCommandLine::helpOfEveryCommand()
{
    const Run top = ctl({QStringLiteral("--help")});
    QCOMPARE(top.exitCode, 0);
    QVERIFY(top.out.contains("Exit codes: 0 ok"));
    for (const QString &command : listedCommands()) {
        const Run run = ctl({command, QStringLiteral("--help")});
        QVERIFY2(run.exitCode == 0, qPrintable(command));
        QVERIFY2(run.err.isEmpty(), run.err.constData());
        // Its own help, not the top-level one.
        QVERIFY2(run.out.contains("Usage: ferry-ctl " + command.toUtf8()), run.out.constData());
        // `token` is the one command with commands of its own (create, list, revoke).
        QVERIFY2(run.out.contains("Subcommands:") == (command == "token"), qPrintable(command));
    }
    const QByteArray token = ctl({"token", "--help"}).out;
    QVERIFY(token.contains("create") && token.contains("list") && token.contains("revoke"));
    const Run create = ctl({"token", "create", "--help"});
    QCOMPARE(create.exitCode, 0);
    for (const char *option : {"--path SUBTREE", "--expires DUR", "--rate B", "--max-connections N", "--max-bytes B",
                               "--label TEXT", "--host HOST"})
        QVERIFY2(create.out.contains(option), option);
    // Each command's help shows its own options.
    QVERIFY(ctl({"pool", "--help"}).out.contains("--max-spare N"));
    QVERIFY(ctl({"kill-worker", "-h"}).out.contains("--now"));
    QVERIFY(ctl({"rate-limit", "--help"}).out.contains("--per-connection B"));
    QVERIFY(ctl({"watch", "--help"}).out.contains("--interval MS"));
    QVERIFY(ctl({"status", "--help"}).out.contains("--json"));
    QVERIFY(ctl({"disconnect", "--help"}).out.contains("--slot N"));
}

void TestCtlCommandLine::refused_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message"); // the first line on stderr
    QTest::newRow("misspelt option") << QStringList{"pool", "--max-sapre", "3"}
                                     << "ferry-ctl: pool: unknown option '--max-sapre'";
    QTest::newRow("slot with a suffix") << QStringList{"kill-worker", "1k"}
                                        << "ferry-ctl: SLOT: '1k' is not a whole number";
    QTest::newRow("negative slot") << QStringList{"kill-worker", "-1"} << "ferry-ctl: SLOT: '-1' is not a whole number";
    QTest::newRow("missing slot") << QStringList{"kill-worker"} << "ferry-ctl: SLOT is required";
    QTest::newRow("audit since a word") << QStringList{"audit", "--since", "yesterday"}
                                        << "ferry-ctl: --since: 'yesterday' is neither a duration such as 30m, 1h "
                                           "or 7d nor a UTC time such as 2026-12-01T12:00:00Z";
    QTest::newRow("audit unknown option") << QStringList{"audit", "--user", "x"}
                                          << "ferry-ctl: audit: unknown option '--user'";
    QTest::newRow("two slots") << QStringList{"kill-worker", "1", "2"}
                               << "ferry-ctl: kill-worker: unexpected argument '2'";
    QTest::newRow("count not a number") << QStringList{"pool", "--max-workers", "many"}
                                        << "ferry-ctl: --max-workers: 'many' is not a whole number";
    QTest::newRow("count as bytes") << QStringList{"pool", "--max-requests=2M"}
                                    << "ferry-ctl: --max-requests: '2M' is not a whole number";
    QTest::newRow("option without value") << QStringList{"pool", "--min-spare"}
                                          << "ferry-ctl: --min-spare: 1 required N missing";
    QTest::newRow("bad rate") << QStringList{"rate-limit", "--global", "12x"}
                              << "ferry-ctl: --global: '12x' is not a byte count (such as 1048576, 512k, 2M, 1G)";
    QTest::newRow("rate-limit without a rate") << QStringList{"rate-limit"}
                                               << "ferry-ctl: rate-limit: give --per-connection B, --global B, "
                                                  "--per-ip B or several";
    QTest::newRow("fractional interval") << QStringList{"watch", "--interval", "1.5"}
                                         << "ferry-ctl: --interval: '1.5' is not a whole number";
    QTest::newRow("disconnect with both") << QStringList{"disconnect", "3", "--slot", "2"}
                                          << "ferry-ctl: ID excludes --slot";
    QTest::newRow("disconnect with neither") << QStringList{"disconnect"}
                                             << "ferry-ctl: disconnect: give a connection ID or --slot N";
    QTest::newRow("argument to drain") << QStringList{"drain", "now"} << "ferry-ctl: drain: unexpected argument 'now'";
    QTest::newRow("flag of another command") << QStringList{"metrics", "--json"}
                                             << "ferry-ctl: metrics: unknown option '--json'";
    QTest::newRow("unknown command") << QStringList{"frobnicate"} << "ferry-ctl: unknown command 'frobnicate'";
    QTest::newRow("no command") << QStringList{} << "ferry-ctl: a command is required";
}

void TestCtlCommandLine::refused()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Run run = ctl(args);
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.out.isEmpty()); // nothing was sent, nothing printed as if it had been
    const QList<QByteArray> lines = run.err.split('\n');
    QCOMPARE(QString::fromUtf8(lines.value(0)), message);
    QVERIFY2(lines.value(1).startsWith("Run 'ferry-ctl "), run.err.constData());
}

void TestCtlCommandLine::version()
{
    for (const char *spelling : {"--version", "version"}) {
        const Run run = ctl({QString::fromLatin1(spelling)});
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.startsWith("ferry-ctl ") && run.out.contains("(admin protocol 1)"), run.out.constData());
    }
}

// A mistyped --admin-socket (the folder that holds the socket, a file) is named as such, not "not running".
void TestCtlCommandLine::pathThatIsNoSocketIsNamed()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(QStringLiteral("admin.txt")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    const QList<std::pair<QString, QByteArray>> cases{{dir.path(), "is a folder"}, {file.fileName(), "is a file"}};
    for (const auto &[path, says] : cases) {
        const Run run = ServerProcess::runProgram(QStringLiteral(CTL_BIN),
                                                  {QStringLiteral("--admin-socket"), path, QStringLiteral("status")});
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.startsWith("ferry-ctl: " + path.toUtf8() + ' ' + says + ", not an admin socket"),
                 run.err.constData());
    }
}

// `audit --file` given a folder: fopen() opens it, but the reason must be said, not "no matching records".
void TestCtlCommandLine::auditOfAFolderIsAnError()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Run run = ctl({QStringLiteral("audit"), QStringLiteral("--file"), dir.path()});
    QCOMPARE(run.exitCode, 5);
    QVERIFY(run.out.isEmpty());
    QVERIFY2(run.err.contains("Is a directory"), run.err.constData());
}

QTEST_GUILESS_MAIN(TestCtlCommandLine)
#include "tst_ctlcommandline.moc"
