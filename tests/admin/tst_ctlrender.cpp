// ferry-ctl's renderers on a fixed STATUS: the table and the scoreboard strip (metrics: tests/ops); rows
// of any length; text from outside made terminal-safe, in the status and token tables and in --json;
// columns measured as a terminal draws them, whatever the process's locale.
#include "ctl/render.h"
#include "ctl/terminal_json.h"
#include "ctl/terminal_text.h"
#include "ctl/token_render.h"
#include "terminalcolumns.h"

#include <QtTest>

#include <clocale>
#include <locale.h>

using ferry::admin::Json;
using ferry::admin::parseJson;

namespace {
// A STATUS object as docs/ADMIN.md §4.1 describes it (kept as data: moc does not read raw strings well).
Json loadStatus()
{
    QFile file(QStringLiteral(FERRY_SOURCE_DIR "/tests/admin/data/status.json"));
    if (!file.open(QIODevice::ReadOnly))
        return Json();
    auto parsed = parseJson(file.readAll().toStdString());
    return parsed.value ? *parsed.value : Json();
}

// The display column (as a terminal draws it) where `needle` begins in `text`'s line `line`.
qsizetype columnOf(const std::string &text, int line, const char *needle)
{
    const QStringList lines = QString::fromStdString(text).split('\n');
    return line < lines.size() ? ctltest::columnOf(lines[line], QLatin1String(needle)) : -1;
}
} // namespace

class TestCtlRender : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void table();
    void controlBytesAreShownAsQuestionMarks();
    void longRowsAreWhole();
    void nonAsciiKeepsTheColumns_data();
    void nonAsciiKeepsTheColumns();
    void terminalText_data();
    void terminalText();
    void displayWidth_data();
    void displayWidth();
    void jsonHasNoRawC1Controls();
    void c1ControlsDoNotReachTheTerminal();
    void units_data();
    void units();
};

// ferry-ctl runs in the "C" locale, where wcwidth() knows nothing beyond ASCII (QCoreApplication would
// have set the environment's): the widths must come out right all the same.
void TestCtlRender::initTestCase()
{
    QVERIFY(std::setlocale(LC_ALL, "C"));
}

void TestCtlRender::table()
{
    const Json status = loadStatus();
    QVERIFY(status.is_object());
    const QByteArray text = QByteArray::fromStdString(ferry::ctl::renderStatus(status));
    QVERIFY2(text.contains("Scoreboard: W._..G\n"), text.constData()); // one letter per slot, '.' when empty
    QVERIFY(text.contains("up 1h02m"));
    QVERIFY2(text.contains("Identity: LFMI-XVNJ-B34P-7VDO-S2GD-NHJ4-L7MA-IQDC-YNUY-H57T-UEWG-LWSO-KEPQ "
                           "(TLS 1.3; plaintext allowed too)\n"),
             text.constData());
    QVERIFY(text.contains("3 total, 1 busy, 1 idle"));
    QVERIFY(text.contains("1.0 MiB / 2.0 MiB"));
    QVERIFY(text.contains("1.0 MiB/s per connection, unlimited overall"));
    QVERIFY(text.contains("[last exit: killed by admin]"));
    QCOMPARE(text.count("\n   "), 3); // three worker rows
}

// A worker's path is what a client asked for (or a name in the served tree): escape sequences in it must
// not reach the terminal, where they could retitle the window or paint over the table.
void TestCtlRender::controlBytesAreShownAsQuestionMarks()
{
    Json status = loadStatus();
    QVERIFY(status.is_object());
    status["workers"][0]["path"] = "x\x1b]0;owned\x07\x1b[2Jy";
    status["workers"][0]["token"] = "tk-0123456789";
    status["workers"][0]["token_label"] = "team\rB";
    const QByteArray text = QByteArray::fromStdString(ferry::ctl::renderStatus(status));
    QVERIFY2(text.contains("x?]0;owned??[2Jy"), text.constData());
    QVERIFY2(text.contains("[token team?B]"), text.constData());
    for (char c : text)
        QVERIFY2(uchar(c) >= 0x20 || c == '\n', qPrintable(QStringLiteral("control byte %1").arg(int(uchar(c)))));
}

// A row is as long as its values: a path of thousands of bytes, a long label and a long root arrive whole,
// each row ended by its newline (a fixed buffer once cut such rows at 511 bytes, newline and all).
void TestCtlRender::longRowsAreWhole()
{
    Json status = loadStatus();
    QVERIFY(status.is_object());
    const std::string path = "deep/" + std::string(3000, 'p') + "/end.iso";
    const std::string label = "label-" + std::string(700, 'l');
    const std::string root = "/srv/" + std::string(900, 'r');
    status["workers"][0]["path"] = path;
    status["workers"][0]["token"] = "tk-1";
    status["workers"][0]["token_label"] = label;
    status["server"]["root"] = root;
    const std::string text = ferry::ctl::renderStatus(status);
    QVERIFY2(text.find(path + "  [token " + label + "]\n") != std::string::npos, text.c_str());
    QVERIFY2(text.find("serving " + root + "\n") != std::string::npos, text.c_str());
    QCOMPARE(QByteArray::fromStdString(text).count("\n   "), 3); // still three worker rows, one line each
}

// A peer or state that is not ASCII takes the columns a terminal draws, not one per byte or per character:
// the columns after it start where the header's do (a byte-padded row started them one column early per
// extra byte; one padded by characters, one column late per wide character and early per combining mark).
void TestCtlRender::nonAsciiKeepsTheColumns_data()
{
    QTest::addColumn<QByteArray>("member");
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("peer, two-byte") << QByteArray("peer") << QByteArray("caf\xc3\xa9.example:5000");
    QTest::newRow("peer, three-byte") << QByteArray("peer") << QByteArray("\xe2\x82\xac:1");
    QTest::newRow("peer, four-byte") << QByteArray("peer") << QByteArray("\xf0\x9f\x93\xa6\xf0\x9f\x93\xa6:1");
    QTest::newRow("state") << QByteArray("state") << QByteArray("envoy\xc3\xa9");
    QTest::newRow("peer, CJK") << QByteArray("peer") << QByteArray("\xe6\x97\xa5\xe6\x9c\xac.example:1");
    QTest::newRow("peer, Hangul") << QByteArray("peer") << QByteArray("\xed\x95\x9c:1");
    QTest::newRow("peer, combining") << QByteArray("peer") << QByteArray("cafe\xcc\x81.example:1");
    QTest::newRow("state, CJK and combining") << QByteArray("state") << QByteArray("\xe9\x80\x81" "e\xcc\x81");
}

void TestCtlRender::nonAsciiKeepsTheColumns()
{
    QFETCH(QByteArray, member);
    QFETCH(QByteArray, value);
    Json status = loadStatus();
    QVERIFY(status.is_object());
    status["workers"][0][member.toStdString()] = value.toStdString();
    const std::string text = ferry::ctl::renderStatus(status);
    const int header = int(std::count(text.begin(), text.end(), '\n')) - 4; // three worker rows follow it
    QVERIFY2(columnOf(text, header, "SLOT") == 0, text.c_str());
    QCOMPARE(columnOf(text, header + 1, "1.0 MiB / 2.0 MiB"), columnOf(text, header, "SENT / TOTAL"));
    QCOMPARE(columnOf(text, header + 1, "a \"b\".iso"), columnOf(text, header, "PATH"));
}

// Code points a terminal may obey become '?', one per character; so does each byte that is not UTF-8.
// Printable text, ASCII or not, stays as it is.
void TestCtlRender::terminalText_data()
{
    QTest::addColumn<QByteArray>("in");
    QTest::addColumn<QByteArray>("out");
    QTest::newRow("plain") << QByteArray("releases/a b.iso") << QByteArray("releases/a b.iso");
    QTest::newRow("non-ascii") << QByteArray("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6")
                               << QByteArray("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6");
    QTest::newRow("nbsp stays") << QByteArray("a\xc2\xa0" "b") << QByteArray("a\xc2\xa0" "b");
    QTest::newRow("c0 and del") << QByteArray("\x1b[2J\t\r\n\x7f") << QByteArray("?[2J????");
    QTest::newRow("8-bit csi") << QByteArray("a\xc2\x9b" "2Jb") << QByteArray("a?2Jb");
    QTest::newRow("c1 first and last") << QByteArray("\xc2\x80\xc2\x9f") << QByteArray("??");
    QTest::newRow("8-bit osc") << QByteArray("\xc2\x9d" "0;owned\xc2\x9c") << QByteArray("?0;owned?");
    QTest::newRow("raw c1 byte") << QByteArray("a\x9b" "2J") << QByteArray("a?2J");
    QTest::newRow("stray continuation") << QByteArray("\x80\xbf") << QByteArray("??");
    QTest::newRow("cut at the end") << QByteArray("x\xe2\x82") << QByteArray("x??");
    QTest::newRow("cut by ascii") << QByteArray("\xc3(") << QByteArray("?(");
    QTest::newRow("overlong esc") << QByteArray("\xc0\x9b") << QByteArray("??");
    QTest::newRow("overlong 3") << QByteArray("\xe0\x80\x9b") << QByteArray("???");
    QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80") << QByteArray("???");
    QTest::newRow("beyond unicode") << QByteArray("\xf4\x90\x80\x80") << QByteArray("????");
    QTest::newRow("never a lead") << QByteArray("\xf5\xff") << QByteArray("??");
    QTest::newRow("empty") << QByteArray() << QByteArray();
}

void TestCtlRender::terminalText()
{
    QFETCH(QByteArray, in);
    QFETCH(QByteArray, out);
    QCOMPARE(QByteArray::fromStdString(ferry::ctl::terminalText(in.toStdString())), out);
}

// Columns as a terminal draws them: East Asian wide characters two, combining marks none; what
// terminalText() shows as '?' one. Under the "C" locale the test runs in.
void TestCtlRender::displayWidth_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("columns");
    QTest::newRow("ascii") << QByteArray("abc") << 3;
    QTest::newRow("precomposed") << QByteArray("caf\xc3\xa9") << 4;
    QTest::newRow("combining acute") << QByteArray("cafe\xcc\x81") << 4;
    QTest::newRow("two marks on one letter") << QByteArray("e\xcc\x81\xcc\x82") << 1;
    QTest::newRow("CJK") << QByteArray("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e") << 6;
    QTest::newRow("CJK file name") << QByteArray("\xe8\xb3\x87\xe6\x96\x99.zip") << 8;
    QTest::newRow("Hangul") << QByteArray("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4") << 6;
    QTest::newRow("fullwidth latin") << QByteArray("\xef\xbc\xa1\xef\xbc\xa2") << 4;
    QTest::newRow("halfwidth katakana") << QByteArray("\xef\xbd\xb6\xef\xbe\x80") << 2;
    QTest::newRow("emoji") << QByteArray("\xf0\x9f\x93\xa6") << 2;
    QTest::newRow("zero-width space") << QByteArray("a\xe2\x80\x8b" "b") << 2;
    QTest::newRow("controls, shown as ?") << QByteArray("\x1b[2J\t") << 5;
    QTest::newRow("c1, shown as ?") << QByteArray("\xc2\x9b") << 1;
    QTest::newRow("not utf-8, shown as ?") << QByteArray("\xff\xe6\x97") << 3;
    QTest::newRow("empty") << QByteArray() << 0;
}

void TestCtlRender::displayWidth()
{
    QFETCH(QByteArray, text);
    QFETCH(int, columns);
    const std::string raw = text.toStdString();
    QCOMPARE(ferry::ctl::displayWidth(raw), size_t(columns));
    QCOMPARE(ferry::ctl::displayWidth(ferry::ctl::terminalText(raw)), size_t(columns));
    QCOMPARE(ferry::ctl::padded(ferry::ctl::terminalText(raw), 10).size(),
             ferry::ctl::terminalText(raw).size() + size_t(std::max(0, 10 - columns)));
    // Measuring switched no locale for good: the process and this thread are in "C" as before.
    QCOMPARE(QByteArray(std::setlocale(LC_CTYPE, nullptr)), QByteArray("C"));
    QVERIFY(uselocale(locale_t(0)) == LC_GLOBAL_LOCALE);
}

// Whether a byte sequence is a C1 control in UTF-8 (C2 80 … C2 9F), or a byte that is no UTF-8 at all.
static bool holdsC1(const std::string &text)
{
    for (size_t i = 0; i + 1 < text.size(); ++i)
        if (uchar(text[i]) == 0xC2 && uchar(text[i + 1]) >= 0x80 && uchar(text[i + 1]) <= 0x9F)
            return true;
    return false;
}

// The status and token tables print what clients and token makers chose through terminalText().
void TestCtlRender::c1ControlsDoNotReachTheTerminal()
{
    Json status = loadStatus();
    QVERIFY(status.is_object());
    status["workers"][0]["path"] = "x\xc2\x9b" "2Jy";
    status["workers"][0]["peer"] = "\xc2\x9d" "0;t\xc2\x9c";
    status["workers"][0]["token"] = "tk-1";
    status["workers"][0]["token_label"] = "te\xc2\x85" "am";
    const std::string text = ferry::ctl::renderStatus(status);
    QVERIFY2(!holdsC1(text), text.c_str());
    QVERIFY2(text.find("x?2Jy  [token te?am]") != std::string::npos, text.c_str());
    QVERIFY2(text.find("?0;t?") != std::string::npos, text.c_str());

    Json token = {{"id", "tk-\x1b" "1"}, {"label", "ops\xc2\x9b" "2J\x1b]0;x\x07"}, {"path", "a\xc2\x9b" "b"},
                  {"state", "active"}, {"expires_ms", 0},
                  {"usage", {{"bytes", 0}, {"requests", 1}, {"last_used_ms", 1}, {"last_peer", "p\xc2\x9b" "1"}}}};
    const std::string list = ferry::ctl::renderTokenList(Json::array({token}), 1000);
    QVERIFY2(!holdsC1(list) && list.find('\x1b') == std::string::npos, list.c_str());
    QVERIFY2(list.find("tk-?1  ops?2J?]0;x?\n") != std::string::npos, list.c_str());
    QVERIFY2(list.find("grants /a?b") != std::string::npos, list.c_str());
    QVERIFY2(list.find("from p?1") != std::string::npos, list.c_str());
    const std::string created =
        ferry::ctl::renderTokenCreated(Json{{"token", token}, {"secret", "s"}, {"link", "ferry://h/a\xc2\x9b" "b/"}});
    QVERIFY2(!holdsC1(created) && created.find('\x1b') == std::string::npos, created.c_str());
    QVERIFY2(created.find("Token tk-?1 \"ops?2J?]0;x?\"") != std::string::npos, created.c_str());
}

// --json writes DEL and the C1 controls as \u escapes (RFC 8259 leaves them raw, a terminal may obey them):
// still JSON, the same value once parsed, in keys and values alike; other text is as dumpJson() writes it.
void TestCtlRender::jsonHasNoRawC1Controls()
{
    const Json value = {{"path", "a\xc2\x9b" "2Jb\xc2\x80\xc2\x9f\x7f"},
                        {"k\xc2\x85", "caf\xc3\xa9 \xc2\xa0\xe6\x97\xa5 \xf0\x9f\x93\xa6"},
                        {"n", 1}};
    const std::string json = ferry::ctl::terminalJson(value);
    QVERIFY2(!holdsC1(json) && json.find('\x7f') == std::string::npos, json.c_str());
    QVERIFY2(json.find("a\\u009b2Jb\\u0080\\u009f\\u007f") != std::string::npos, json.c_str());
    QVERIFY2(json.find("\"k\\u0085\"") != std::string::npos, json.c_str());
    QVERIFY2(json.find("caf\xc3\xa9 \xc2\xa0\xe6\x97\xa5 \xf0\x9f\x93\xa6") != std::string::npos, json.c_str());
    const auto parsed = ferry::admin::parseJson(json);
    QVERIFY2(parsed.value, parsed.error.c_str());
    QVERIFY(*parsed.value == value);
    const Json plain = {{"a", "b"}, {"list", {1, 2}}};
    QCOMPARE(ferry::ctl::terminalJson(plain), ferry::admin::dumpJson(plain));
}

void TestCtlRender::units_data()
{
    QTest::addColumn<qlonglong>("bytes");
    QTest::addColumn<QString>("text");
    QTest::newRow("bytes") << 512LL << "512 B";
    QTest::newRow("kib") << 1536LL << "1.5 KiB";
    QTest::newRow("gib") << 3LL * 1024 * 1024 * 1024 << "3.0 GiB";
}

void TestCtlRender::units()
{
    QFETCH(qlonglong, bytes);
    QFETCH(QString, text);
    QCOMPARE(QString::fromStdString(ferry::ctl::humanBytes(bytes)), text);
}

QTEST_GUILESS_MAIN(TestCtlRender)
#include "tst_ctlrender.moc"
