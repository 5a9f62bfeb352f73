// What ferry-get prints of what a server chose — names in a listing, the paths made of them, the
// server's error messages — cannot drive the terminal it is printed on. The real server serves files whose
// names carry an OSC window title with its BEL, a "clear screen" CSI, the 8-bit CSI U+009B and a newline.
// On a terminal (a pseudo-terminal here, as a person's shell has) `ls` and `sum` show those characters
// as '?', as ls(1) does; in a pipe they print the exact names for the program reading them (a newline
// escaped the sha256sum way), and `ls --json` escapes them (C1 and DEL too). Messages on standard error always show '?', and the files arrive under
// their exact names: nothing is renamed or lost.
#include "serverprocess.h"
#include "testtree.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace {

using Run = ServerProcess::RunResult;

Run runGet(const QStringList &args) { return ServerProcess::runProgram(QStringLiteral(GET_BIN), args, 60000); }

// ferry-get with its standard output and error on a new pseudo-terminal: what a person's terminal would
// receive. The exit code is -1 if it did not end within a minute (then it is killed).
Run runGetOnATerminal(const QStringList &args)
{
    Run run;
    QList<QByteArray> argv8{QByteArrayLiteral(GET_BIN)};
    for (const QString &arg : args)
        argv8 << arg.toLocal8Bit();
    std::vector<char *> argv;
    for (QByteArray &arg : argv8)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    int master = -1;
    const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
    if (pid < 0)
        return run;
    if (pid == 0) {
        execv(argv[0], argv.data());
        _exit(127);
    }
    QDeadlineTimer deadline(60000);
    char buffer[4096];
    for (;;) { // until the child closes its side: EIO on Linux
        const ssize_t n = read(master, buffer, sizeof buffer);
        if (n > 0)
            run.out.append(buffer, n);
        else if (n < 0 && errno == EINTR)
            continue;
        else
            break;
        if (deadline.hasExpired()) {
            kill(pid, SIGKILL);
            break;
        }
    }
    close(master);
    int status = 0;
    waitpid(pid, &status, 0);
    run.exitCode = WIFEXITED(status) && !deadline.hasExpired() ? WEXITSTATUS(status) : -1;
    return run;
}

// Bytes a terminal obeys: ESC, BEL, the 8-bit CSI (UTF-8 C2 9B) — none may come from the server's text.
bool obeysControls(const QByteArray &text)
{
    return text.contains('\x1b') || text.contains('\a') || text.contains("\xc2\x9b");
}

const QString TitleName = QStringLiteral("title\x1b]0;owned\a.txt");
const QString ClearName = QStringLiteral("clear\x1b[2J\x1b[H.bin");
const QString CsiName = QStringLiteral("csi\u009b31m.bin");
const QString NewlineName = QStringLiteral("two\nlines.bin");
const QString DelName = QStringLiteral("del\x7f.bin");

} // namespace

class TestFerryGetTerminal : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void listingOnATerminalShowsQuestionMarks();
    void listingInAPipeKeepsTheExactNames();
    void jsonListingEscapesControls();
    void sumOnATerminalShowsQuestionMarks();
    void downloadKeepsNamesAndShowsQuestionMarks();
    void serverMessageShowsQuestionMarks();

private:
    ferrytest::TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
    QString url(const QString &path) const
    {
        return QStringLiteral("ferry://%1:%2/%3").arg(m_server->host()).arg(m_server->port()).arg(path);
    }
    // A path of the tree as a link names it: every byte that is not plain ASCII percent-encoded.
    static QString encoded(const QString &path) { return QString::fromLatin1(QUrl::toPercentEncoding(path, "/")); }
};

void TestFerryGetTerminal::initTestCase()
{
    QVERIFY(m_tree.isValid());
    const QStringList names{TitleName, ClearName, CsiName, NewlineName, DelName};
    for (int i = 0; i < names.size(); ++i)
        QVERIFY(!m_tree.addFile(QStringLiteral("odd/") + names[i], 1000 + i, quint32(i + 1)).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root());
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestFerryGetTerminal::listingOnATerminalShowsQuestionMarks()
{
    const Run run = runGetOnATerminal({QStringLiteral("ls"), url(QStringLiteral("odd/"))});
    QVERIFY2(run.exitCode == 0, run.out.constData());
    QVERIFY2(!obeysControls(run.out), run.out.toPercentEncoding(" \r\n").constData());
    QVERIFY2(run.out.contains("title?]0;owned?.txt"), run.out.constData());
    QVERIFY2(run.out.contains("clear?[2J?[H.bin"), run.out.constData());
    QVERIFY2(run.out.contains("csi?31m.bin"), run.out.constData());
    QVERIFY2(run.out.contains("two?lines.bin"), run.out.constData());
    QVERIFY2(run.out.contains("del?.bin"), run.out.constData());
    QCOMPARE(run.out.count('\n'), 5); // one row per file: the newline in a name starts none
}

void TestFerryGetTerminal::listingInAPipeKeepsTheExactNames()
{
    const Run run = runGet({QStringLiteral("ls"), url(QStringLiteral("odd/"))});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    for (const QString &name : {TitleName, ClearName, CsiName, NewlineName})
        QVERIFY2(run.out.contains(' ' + name.toUtf8() + '\n'), qPrintable(name));
}

void TestFerryGetTerminal::jsonListingEscapesControls()
{
    const Run run = runGet({QStringLiteral("ls"), QStringLiteral("--json"), url(QStringLiteral("odd/"))});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QVERIFY2(!obeysControls(run.out) && !run.out.contains('\x7f'), run.out.toPercentEncoding(" \n").constData());
    QVERIFY2(run.out.contains("csi\\u009b31m.bin") && run.out.contains("del\\u007f.bin"), run.out.constData());
    QStringList names; // the same values, read back
    for (const QJsonValue &entry : QJsonDocument::fromJson(run.out).array())
        names << entry.toObject().value(QLatin1String("name")).toString();
    names.sort();
    QStringList expected{TitleName, ClearName, CsiName, NewlineName, DelName};
    expected.sort();
    QCOMPARE(names, expected);
}

void TestFerryGetTerminal::sumOnATerminalShowsQuestionMarks()
{
    const Run run = runGetOnATerminal(
        {QStringLiteral("sum"), url(encoded(QStringLiteral("odd/") + TitleName)),
         url(encoded(QStringLiteral("odd/") + NewlineName))});
    QVERIFY2(run.exitCode == 0, run.out.constData());
    QVERIFY2(!obeysControls(run.out), run.out.toPercentEncoding(" \r\n").constData());
    QVERIFY2(run.out.contains("  title?]0;owned?.txt"), run.out.constData());
    QVERIFY2(run.out.contains("  two?lines.bin"), run.out.constData());
    // In a pipe, the lines are sha256sum's: the exact name, a newline in it escaped.
    const Run piped = runGet({QStringLiteral("sum"), url(encoded(QStringLiteral("odd/") + NewlineName))});
    QVERIFY2(piped.exitCode == 0, piped.err.constData());
    QVERIFY2(piped.out.startsWith('\\') && piped.out.endsWith("  two\\nlines.bin\n"), piped.out.constData());
}

void TestFerryGetTerminal::downloadKeepsNamesAndShowsQuestionMarks()
{
    QTemporaryDir out;
    QVERIFY(out.isValid());
    const Run run = runGet({url(QStringLiteral("odd/")), QStringLiteral("-o"), out.path()});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QVERIFY2(!obeysControls(run.err), run.err.toPercentEncoding(" \n").constData());
    QVERIFY2(run.err.contains("title?]0;owned?.txt"), run.err.constData());
    QVERIFY2(run.err.contains("two?lines.bin"), run.err.constData());
    // The sha256sum lines on standard output (a pipe) name the exact files.
    QVERIFY2(run.out.contains("/odd/" + TitleName.toUtf8() + '\n'), run.out.constData());
    for (const QString &name : {TitleName, ClearName, CsiName, NewlineName, DelName}) {
        QFile local(QDir(out.path()).filePath(QStringLiteral("odd/") + name));
        QVERIFY2(local.open(QIODevice::ReadOnly), qPrintable(name));
        QFile served(m_tree.path(QStringLiteral("odd/") + name));
        QVERIFY(served.open(QIODevice::ReadOnly));
        QCOMPARE(local.readAll(), served.readAll());
    }
}

// The server's own message quotes the path asked for; the path came from a link, the message from the
// server, and neither drives the terminal.
void TestFerryGetTerminal::serverMessageShowsQuestionMarks()
{
    QTemporaryDir out;
    QVERIFY(out.isValid());
    const Run run = runGet({url(QStringLiteral("missing%1B%5D0%3Bowned%07.bin")), QStringLiteral("-o"), out.path()});
    QCOMPARE(run.exitCode, 4); // ExitRemote: not found
    QVERIFY2(!obeysControls(run.err), run.err.toPercentEncoding(" \n").constData());
    QVERIFY2(run.err.contains("missing?]0;owned?.bin"), run.err.constData());
}

QTEST_GUILESS_MAIN(TestFerryGetTerminal)
#include "tst_ferryget_terminal.moc"
