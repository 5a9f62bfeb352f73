// The server's log lines (base/log.cpp) stay one line each and carry nothing a terminal or a log reader
// would obey, whatever the names they quote hold: a newline in a served file's name cannot start a forged
// line, an escape sequence is shown as '?', and plain UTF-8 passes unchanged. The lines are read back from
// the real stderr, redirected into a pipe for each test.
#include "base/log.h"

#include <QtTest>

#include <fcntl.h>
#include <unistd.h>

using namespace ferry::server;

namespace {

// What log::write() of `message` (as a "%s" argument) puts on stderr: the whole line.
QByteArray loggedLine(const char *message)
{
    int pipeFds[2];
    if (pipe2(pipeFds, O_CLOEXEC) != 0)
        return "pipe2 failed";
    const int savedStderr = dup(STDERR_FILENO);
    dup2(pipeFds[1], STDERR_FILENO);
    log::write(log::Level::Warn, "GET '%s': the file changed while being sent", message);
    dup2(savedStderr, STDERR_FILENO);
    close(savedStderr);
    close(pipeFds[1]);
    QByteArray line;
    char buffer[4096];
    for (ssize_t n; (n = read(pipeFds[0], buffer, sizeof buffer)) > 0;)
        line.append(buffer, n);
    close(pipeFds[0]);
    return line;
}

} // namespace

class TestServerUnitLog : public QObject
{
    Q_OBJECT
private slots:
    void controlsAreShownAsQuestionMarks_data();
    void controlsAreShownAsQuestionMarks();
    void longMessageIsCutToOneLine();
};

void TestServerUnitLog::controlsAreShownAsQuestionMarks_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("shown");
    QTest::newRow("plain") << QByteArray("docs/guide.pdf") << QByteArray("docs/guide.pdf");
    QTest::newRow("UTF-8") << QByteArray("caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt")
                           << QByteArray("caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt");
    QTest::newRow("forged line")
        << QByteArray("a\n2026-12-02T10:00:00.000Z ERROR [1] admin: root logged in")
        << QByteArray("a?2026-12-02T10:00:00.000Z ERROR [1] admin: root logged in");
    QTest::newRow("carriage return") << QByteArray("a\rb") << QByteArray("a?b");
    QTest::newRow("escape sequence") << QByteArray("x\x1b]0;owned\x07y") << QByteArray("x?]0;owned?y");
    QTest::newRow("tab and DEL") << QByteArray("a\tb\x7f") << QByteArray("a?b?");
    QTest::newRow("8-bit CSI") << QByteArray("a\xc2\x9b" "2Jb") << QByteArray("a?2Jb");
    QTest::newRow("not C1: U+00A0") << QByteArray("a\xc2\xa0" "b") << QByteArray("a\xc2\xa0" "b");
}

void TestServerUnitLog::controlsAreShownAsQuestionMarks()
{
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, shown);
    const QByteArray line = loggedLine(name.constData());
    QVERIFY2(line.endsWith("\n"), line.constData());
    QCOMPARE(line.count('\n'), 1);
    QVERIFY2(line.contains("WARN  ["), line.constData());
    QVERIFY2(line.contains("GET '" + shown + "': the file changed while being sent\n"), line.constData());
}

void TestServerUnitLog::longMessageIsCutToOneLine()
{
    const QByteArray name(5000, 'n');
    const QByteArray line = loggedLine((name + "\n" + name).constData());
    QCOMPARE(line.count('\n'), 1);
    QVERIFY(line.endsWith("\n"));
    QVERIFY(line.size() < 2048);
}

QTEST_GUILESS_MAIN(TestServerUnitLog)
#include "tst_serverunit_log.moc"
