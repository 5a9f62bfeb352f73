// ferry-ctl's command line as a new user meets it (docs/ADMIN.md §7): every command has its own --help,
// and a mistyped option or a number that is not one is refused with exit code 2 and a message naming it,
// before any connection is tried. Runs the real binary; no server is needed, none is started.
#include "serverprocess.h"
#include "terminalcolumns.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
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
    void auditJsonEscapesC1Controls();
    void auditTableColumnsAreTerminalColumns();
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

namespace {

// An audit log of two records as the server writes them (docs/OPERATIONS.md, "The audit log"), the first
// with `label` as its token's label and `path` as its path.
QString auditFile(const QTemporaryDir &dir, const QByteArray &label, const QByteArray &path)
{
    const QString name = dir.filePath(QStringLiteral("audit.log"));
    QFile file(name);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(R"({"time":"2026-12-01T12:35:40.786Z","request":"GET","peer":"192.0.2.7:40123","token_id":"tk-0123456789",)"
               R"("token_label":")" + label + R"(","path":")" + path + R"(","offset":0,"length":1048576,"bytes":1048576,)"
               R"("result":"OK","duration_ms":9,"tls":"TLSv1.3"})" "\n"
               R"({"time":"2026-12-01T12:35:41.002Z","request":"STAT","peer":"192.0.2.9:51234","token_id":"",)"
               R"("token_label":"","path":"b","offset":null,"length":null,"bytes":0,"result":"NOT_FOUND",)"
               R"("duration_ms":0,"tls":"none"})" "\n");
    return name;
}

} // namespace

// `audit --json` prints the lines as the file holds them, but a C1 control in them (here the 8-bit CSI in
// a path a client asked for) as its \u escape: the same JSON value, nothing for the terminal to obey.
void TestCtlCommandLine::auditJsonEscapesC1Controls()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = auditFile(dir, "ops", "a\xc2\x9b" "2J\xc2\x85z");
    const Run run = ctl({QStringLiteral("audit"), QStringLiteral("--file"), file, QStringLiteral("--json")});
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(!run.out.contains("\xc2\x9b") && !run.out.contains("\xc2\x85"), run.out.constData());
    QVERIFY2(run.out.contains(R"("path":"a\u009b2J\u0085z")"), run.out.constData());
    const QList<QByteArray> lines = run.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    QJsonParseError error{};
    const QJsonObject first = QJsonDocument::fromJson(lines[0], &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(first.value(QStringLiteral("path")).toString(), QString::fromUtf8("a\xc2\x9b" "2J\xc2\x85z"));
}

// The table pads by the columns a terminal draws, with LANG and LC_ALL at "C" as a service or cron gives
// it: a CJK token label takes two columns a character, a combining accent none.
void TestCtlCommandLine::auditTableColumnsAreTerminalColumns()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = auditFile(dir, "\xe8\xb3\x87\xe6\x96\x99-e\xcc\x81quipe", "x");
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("LC_ALL"), QStringLiteral("C"));
    environment.insert(QStringLiteral("LANG"), QStringLiteral("C"));
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(CTL_BIN), {QStringLiteral("audit"), QStringLiteral("--file"), file});
    QVERIFY(process.waitForFinished(10000));
    QCOMPARE(process.exitCode(), 0);
    const QStringList rows = QString::fromUtf8(process.readAllStandardOutput()).trimmed().split(u'\n');
    QCOMPARE(rows.size(), 3);
    // "資料-équipe" (é as e and a combining accent) is 15 bytes, 10 characters and 11 columns: the REQUEST column starts where its header does.
    QCOMPARE(ctltest::columnOf(rows[1], QStringLiteral("GET")), ctltest::columnOf(rows[0], QStringLiteral("REQUEST")));
    QCOMPARE(ctltest::columnOf(rows[2], QStringLiteral("STAT")), ctltest::columnOf(rows[0], QStringLiteral("REQUEST")));
    QCOMPARE(ctltest::columnOf(rows[1], QStringLiteral("GET")) - ctltest::columnOf(rows[1], QStringLiteral("\u8CC7")),
             qsizetype(11 + 2));
}

QTEST_GUILESS_MAIN(TestCtlCommandLine)
#include "tst_ctlcommandline.moc"
