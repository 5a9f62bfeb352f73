// ferry-ctl's renderers on a fixed STATUS: the table and the scoreboard strip (metrics: tests/ops).
#include "ctl/render.h"

#include <QtTest>

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
} // namespace

class TestCtlRender : public QObject {
    Q_OBJECT
private slots:
    void table();
    void controlBytesAreShownAsQuestionMarks();
    void units_data();
    void units();
};

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
