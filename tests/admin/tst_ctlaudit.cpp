// `ferry-ctl audit`'s pure parts: --since, the filters, reading a file whatever it holds, the table.
#include "audit/audit_record.h"
#include "ctl/audit_query.h"
#include "ctl/audit_reader.h"
#include "ctl/audit_render.h"
#include "terminalcolumns.h"

#include <QDir>
#include <QTest>

#include <clocale>
#include <cstdio>

using namespace ferry::ctl;
using ferry::server::audit::Record;

namespace {

constexpr int64_t Now = 1'796'127'823'123; // 2026-12-01T12:23:43.123Z

Record record(const std::string &path, const std::string &peer, const std::string &token, int64_t timeMs = Now)
{
    Record r;
    r.timeMs = timeMs;
    r.request = "GET";
    r.peer = peer;
    r.tokenId = token;
    r.path = path;
    r.result = "OK";
    return r;
}

AuditFile readText(const QByteArray &text)
{
    QByteArray copy = text; // fmemopen wants a writable buffer
    std::FILE *file = fmemopen(copy.data(), size_t(copy.size()), "r");
    AuditFile read = readAuditStream(file);
    std::fclose(file);
    return read;
}

} // namespace

class TestCtlAudit : public QObject {
    Q_OBJECT
private slots:
    void since_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("cutoff"); // -1: refused
        QTest::newRow("seconds") << "90s" << qint64(Now - 90000);
        QTest::newRow("minutes") << "30m" << qint64(Now - 1'800'000);
        QTest::newRow("an hour") << "1h" << qint64(Now - 3'600'000);
        QTest::newRow("days") << "7d" << qint64(Now - 7 * 86'400'000LL);
        QTest::newRow("combined") << "1h30m" << qint64(Now - 5'400'000);
        QTest::newRow("a UTC time") << "2026-12-01T12:00:00Z" << qint64(1796126400000);
        QTest::newRow("empty") << "" << qint64(-1);
        QTest::newRow("no unit") << "10" << qint64(-1);
        QTest::newRow("unknown unit") << "2w" << qint64(-1);
        QTest::newRow("units out of order") << "30m1h" << qint64(-1);
        QTest::newRow("a unit twice") << "1h1h" << qint64(-1);
        QTest::newRow("negative") << "-1h" << qint64(-1);
        QTest::newRow("a word") << "yesterday" << qint64(-1);
        QTest::newRow("absurdly long number") << "99999999999999999999h" << qint64(-1);
        QTest::newRow("local time, not UTC") << "2026-12-01T12:00:00+01:00" << qint64(-1);
    }
    void since()
    {
        QFETCH(QString, text);
        QFETCH(qint64, cutoff);
        QCOMPARE(parseSince(text.toStdString(), Now).value_or(-1), cutoff);
    }

    void filters_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("peer");
        QTest::addColumn<bool>("matched"); // against releases/v1/a.tar.gz from 192.0.2.7:40123, token t1
        QTest::newRow("no filter") << "" << "" << "" << true;
        QTest::newRow("the path itself") << "releases/v1/a.tar.gz" << "" << "" << true;
        QTest::newRow("a folder above") << "releases" << "" << "" << true;
        QTest::newRow("a folder, with slashes") << "/releases/" << "" << "" << true;
        QTest::newRow("a name prefix is not a folder") << "rel" << "" << "" << false;
        QTest::newRow("another folder") << "docs" << "" << "" << false;
        QTest::newRow("the token") << "" << "t1" << "" << true;
        QTest::newRow("another token") << "" << "t2" << "" << false;
        QTest::newRow("the host, any port") << "" << "" << "192.0.2.7" << true;
        QTest::newRow("host and port") << "" << "" << "192.0.2.7:40123" << true;
        QTest::newRow("another port") << "" << "" << "192.0.2.7:1" << false;
        QTest::newRow("a host prefix") << "" << "" << "192.0.2" << false;
        QTest::newRow("all three") << "releases" << "t1" << "192.0.2.7" << true;
    }
    void filters()
    {
        QFETCH(QString, path);
        QFETCH(QString, token);
        QFETCH(QString, peer);
        QFETCH(bool, matched);
        AuditQuery query;
        query.path = path.toStdString();
        query.token = token.toStdString();
        query.peer = peer.toStdString();
        QCOMPARE(matches(query, record("releases/v1/a.tar.gz", "192.0.2.7:40123", "t1")), matched);
    }

    void ipv6Peers()
    {
        AuditQuery query;
        query.peer = "2001:db8::1";
        QVERIFY(matches(query, record("a", "[2001:db8::1]:443", "")));
        query.peer = "[2001:db8::1]";
        QVERIFY(matches(query, record("a", "[2001:db8::1]:443", "")));
        query.peer = "2001:db8::2";
        QVERIFY(!matches(query, record("a", "[2001:db8::1]:443", "")));
    }

    void sinceFilters()
    {
        AuditQuery query;
        query.sinceMs = Now - 1000;
        QVERIFY(matches(query, record("a", "h:1", "", Now - 1000)));
        QVERIFY(!matches(query, record("a", "h:1", "", Now - 1001)));
    }

    void readerSkipsWhatIsNotARecord_data()
    {
        const QByteArray good = QByteArray::fromStdString(formatLine(record("a", "h:1", "")));
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("records");
        QTest::addColumn<int>("damaged");
        QTest::newRow("empty file") << QByteArray() << 0 << 0;
        QTest::newRow("two lines") << good + good << 2 << 0;
        QTest::newRow("blank lines") << "\n" + good + "\n\n" << 1 << 0;
        QTest::newRow("last line cut short") << good + good.left(40) << 1 << 1;
        QTest::newRow("last line whole, no newline") << good + good.chopped(1) << 2 << 0;
        QTest::newRow("garbage between") << good + "\x01\x02 not json\n" + good << 2 << 1;
        QTest::newRow("binary") << QByteArray(1000, '\0') << 0 << 1;
        QTest::newRow("a huge line") << QByteArray(MaxReadLineBytes * 3, 'x') + "\n" + good << 1 << 1;
    }
    void readerSkipsWhatIsNotARecord()
    {
        QFETCH(QByteArray, text);
        QFETCH(int, records);
        QFETCH(int, damaged);
        AuditFile read = readText(text);
        QCOMPARE(int(read.lines.size()), records);
        QCOMPARE(int(read.damaged), damaged);
        QCOMPARE(read.firstDamage.empty(), damaged == 0);
    }

    // A mistyped --file names a folder or nothing: the reason, never an empty table that looks like "no records".
    void unreadableFileIsAnError_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("reason");
        QTest::newRow("a directory") << QDir::tempPath() << "Is a directory";
        QTest::newRow("missing") << QDir::tempPath() + "/ferry-no-such-audit.log" << "No such file";
    }
    void unreadableFileIsAnError()
    {
        QFETCH(QString, path);
        QFETCH(QString, reason);
        AuditFile read;
        std::string error;
        QVERIFY(!readAuditFile(path.toStdString(), read, error));
        QVERIFY2(QString::fromStdString(error).contains(reason), error.c_str());
        QVERIFY2(QString::fromStdString(error).contains(path), error.c_str());
    }

    void tableShowsARowPerRecord()
    {
        AuditLine line{record("releases/a.tar.gz", "192.0.2.7:40123", "t1"), ""};
        line.record.tokenLabel = "team";
        line.record.offset = 0;
        line.record.bytes = 2048;
        line.record.path = "bad\nname";
        const QString table = QString::fromStdString(renderAuditTable({&line}));
        const QStringList rows = table.trimmed().split('\n');
        QCOMPARE(rows.size(), 2);
        QVERIFY(rows[0].startsWith("TIME (UTC)"));
        QVERIFY2(rows[1].startsWith("2026-12-01 12:23:43  192.0.2.7:40123  team"), qPrintable(rows[1]));
        QVERIFY2(rows[1].contains("/bad?name @0+\u2026"), qPrintable(rows[1])); // no raw newline; open range
        QVERIFY(rows[1].contains("2.0 KiB") || rows[1].contains("2 KiB") || rows[1].contains("2048"));
        QVERIFY(QString::fromStdString(renderAuditTable({})).contains("no matching records"));
    }

    // What the file holds is shown terminal-safe: C1 controls (the 8-bit CSI) and bytes that are not
    // UTF-8 as '?', one per character, and the columns still line up.
    void tableHidesC1ControlsAndInvalidUtf8()
    {
        AuditLine bad{record("a\xc2\x9b" "2J\xff/b", "192.0.2.7:1", "t\xc2\x85"), ""};
        AuditLine good{record("c", "192.0.2.7:1", "t12"), ""};
        const std::string table = renderAuditTable({&bad, &good});
        QVERIFY2(table.find("\xc2\x9b") == std::string::npos && table.find("\xc2\x85") == std::string::npos
                     && table.find('\xff') == std::string::npos,
                 table.c_str());
        QVERIFY2(table.find("/a?2J?/b") != std::string::npos, table.c_str());
        const QStringList rows = QString::fromStdString(table).trimmed().split('\n');
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows[1].indexOf("GET"), rows[2].indexOf("GET"));
    }

    // Cells that are not ASCII are measured as a terminal draws them (wide East Asian characters two
    // columns, combining marks none): every column after them starts at the same display column in every
    // row, whatever the process's locale ("C" here).
    void tableColumnsLineUpWithNonAscii_data()
    {
        QTest::addColumn<QByteArray>("peer");
        QTest::addColumn<QByteArray>("label");
        QTest::newRow("two-byte label") << QByteArray("192.0.2.7:1") << QByteArray("\xc3\xa9quipe");
        QTest::newRow("three-byte label") << QByteArray("192.0.2.7:1") << QByteArray("\xe6\x97\xa5\xe6\x9c\xac-ops");
        QTest::newRow("four-byte peer") << QByteArray("\xf0\x9f\x93\xa6:1") << QByteArray("team");
        QTest::newRow("the widest cell") << QByteArray("192.0.2.7:1") << QByteArray("caf\xc3\xa9-caf\xc3\xa9-caf\xc3\xa9");
        QTest::newRow("CJK, the widest cell") << QByteArray("192.0.2.7:1")
                                              << QByteArray("\xe8\xb3\x87\xe6\x96\x99\xe3\x83\x81\xe3\x83\xbc\xe3\x83\xa0");
        QTest::newRow("combining label") << QByteArray("192.0.2.7:1") << QByteArray("e\xcc\x81quipe-e\xcc\x81te\xcc\x81");
    }
    void tableColumnsLineUpWithNonAscii()
    {
        QFETCH(QByteArray, peer);
        QFETCH(QByteArray, label);
        QVERIFY(std::setlocale(LC_ALL, "C")); // as ferry-ctl runs
        AuditLine wide{record("b", peer.toStdString(), "t1"), ""};
        wide.record.tokenLabel = label.toStdString();
        AuditLine plain{record("c", "192.0.2.7:1", "t12"), ""};
        const QStringList rows = QString::fromStdString(renderAuditTable({&wide, &plain})).trimmed().split('\n');
        QCOMPARE(rows.size(), 3);
        const auto column = [](const QString &row, const char *needle) {
            return ctltest::columnOf(row, QLatin1String(needle));
        };
        for (const char *cell : {"GET", "OK"}) {
            QCOMPARE(column(rows[1], cell), column(rows[0], cell == QByteArray("OK") ? "RESULT" : "REQUEST"));
            QCOMPARE(column(rows[2], cell), column(rows[1], cell));
        }
    }
};

QTEST_GUILESS_MAIN(TestCtlAudit)
#include "tst_ctlaudit.moc"
