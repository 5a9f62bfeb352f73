// The audit log's record: its line (fields, escaping, the length cap), the parser that reads lines back
// (whatever a damaged file holds), the timestamps, and the writer: whole lines, at once or in batches.
#include "audit/audit_log.h"
#include "audit/audit_record.h"
#include "audit/audit_time.h"
#include "base/config_error.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

using namespace ferry::server::audit;

namespace {

Record sampleGet()
{
    Record record;
    record.timeMs = 1'795'000'000'123; // 2026-11-18T...
    record.request = "GET";
    record.peer = "192.0.2.7:40123";
    record.path = "releases/ferry-1.0.tar.gz";
    record.offset = 1024;
    record.length = 4096;
    record.bytes = 4096;
    record.result = "OK";
    record.durationMs = 12;
    record.tls = "TLSv1.3";
    return record;
}

} // namespace

class TestAudit : public QObject {
    Q_OBJECT
private slots:
    void lineHasEveryField()
    {
        const std::string line = formatLine(sampleGet());
        QVERIFY(line.ends_with('\n'));
        QCOMPARE(std::count(line.begin(), line.end(), '\n'), 1);
        const QJsonObject object = QJsonDocument::fromJson(QByteArray::fromStdString(line)).object();
        QCOMPARE(object.value("time").toString(), QString::fromStdString(formatTime(sampleGet().timeMs)));
        QCOMPARE(object.value("request").toString(), "GET");
        QCOMPARE(object.value("peer").toString(), "192.0.2.7:40123");
        QVERIFY(object.contains("token_id") && object.contains("token_label"));
        QCOMPARE(object.value("offset").toInteger(), 1024);
        QCOMPARE(object.value("length").toInteger(), 4096);
        QCOMPARE(object.value("bytes").toInteger(), 4096);
        QCOMPARE(object.value("result").toString(), "OK");
        QCOMPARE(object.value("duration_ms").toInteger(), 12);
        QCOMPARE(object.value("tls").toString(), "TLSv1.3");
        QVERIFY(!object.contains("path_truncated"));
    }

    // The line, byte for byte: records of plain ASCII are written without the JSON library and the others
    // with it, and both must give what readers have always read (the escaped row shows they agree).
    void lineIsExactlyTheFormat_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<bool>("withRange");
        QTest::addColumn<QByteArray>("expected");
        const QByteArray head = "{\"time\":\"2026-11-18T11:06:40.123Z\",\"request\":\"GET\","
                                "\"peer\":\"192.0.2.7:40123\",\"token_id\":\"\",\"token_label\":\"\",\"path\":";
        const QByteArray range = ",\"offset\":1024,\"length\":4096,";
        const QByteArray tail = "\"bytes\":4096,\"result\":\"OK\",\"duration_ms\":12,\"tls\":\"TLSv1.3\"}\n";
        QTest::newRow("plain") << QByteArray("releases/ferry-1.0.tar.gz") << true
                               << head + "\"releases/ferry-1.0.tar.gz\"" + range + tail;
        QTest::newRow("no range") << QByteArray("") << false
                                  << head + "\"\",\"offset\":null,\"length\":null," + tail;
        QTest::newRow("escaped") << QByteArray("say \"hi\"\\\x01") << true
                                 << head + "\"say \\\"hi\\\"\\\\\\u0001\"" + range + tail;
    }
    void lineIsExactlyTheFormat()
    {
        QFETCH(QByteArray, path);
        QFETCH(bool, withRange);
        QFETCH(QByteArray, expected);
        Record record = sampleGet();
        record.path = path.toStdString();
        if (!withRange) {
            record.offset.reset();
            record.length.reset();
        }
        QCOMPARE(QByteArray::fromStdString(formatLine(record)), expected);
        std::string appended = "before\n";
        appendLine(record, appended);
        QCOMPARE(QByteArray::fromStdString(appended), "before\n" + expected);
    }

    void roundTrip_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<bool>("withRange");
        QTest::newRow("plain") << QByteArray("a/b.txt") << true;
        QTest::newRow("root, no range") << QByteArray("") << false;
        QTest::newRow("quotes and backslash") << QByteArray("say \"hi\"\\there") << true;
        QTest::newRow("newline in a name") << QByteArray("two\nlines") << false;
        QTest::newRow("utf-8") << QByteArray("caf\xc3\xa9/\xe6\x97\xa5.txt") << true;
    }
    void roundTrip()
    {
        QFETCH(QByteArray, path);
        QFETCH(bool, withRange);
        Record record = sampleGet();
        record.path = path.toStdString();
        if (!withRange) {
            record.offset.reset();
            record.length.reset();
        }
        const std::string line = formatLine(record);
        QCOMPARE(std::count(line.begin(), line.end(), '\n'), 1); // a newline in a name is escaped
        ParsedLine parsed = parseLine(line);
        QVERIFY2(parsed.record, parsed.error.c_str());
        QCOMPARE(*parsed.record, record);
    }

    void notUtf8IsReplacedNotThrown()
    {
        Record record = sampleGet();
        record.path = "bad\xff\xfe name";
        ParsedLine parsed = parseLine(formatLine(record));
        QVERIFY2(parsed.record, parsed.error.c_str());
        QCOMPARE(parsed.record->path, std::string("bad\xEF\xBF\xBD\xEF\xBF\xBD name"));
    }

    void longPathIsCutAndMarked_data()
    {
        QTest::addColumn<QByteArray>("unit");
        QTest::newRow("ascii") << QByteArray("a");
        QTest::newRow("control bytes (six each in JSON)") << QByteArray("\x01");
        QTest::newRow("three-byte characters") << QByteArray("\xe6\x97\xa5");
    }
    void longPathIsCutAndMarked()
    {
        QFETCH(QByteArray, unit);
        Record record = sampleGet();
        record.path = unit.repeated(4096 / unit.size()).toStdString();
        const std::string line = formatLine(record);
        QVERIFY2(line.size() <= MaxLineBytes, std::to_string(line.size()).c_str());
        ParsedLine parsed = parseLine(line);
        QVERIFY2(parsed.record, parsed.error.c_str());
        QVERIFY(parsed.record->pathTruncated);
        QVERIFY(parsed.record->path.ends_with("\u2026"));
        const std::string kept = parsed.record->path.substr(0, parsed.record->path.size() - 3);
        QVERIFY(kept.size() > 100);                  // most of what fits is kept
        QVERIFY(record.path.starts_with(kept));      // a prefix, cut between characters
    }

    void damagedLinesAreErrors_data()
    {
        const std::string good = formatLine(sampleGet());
        QTest::addColumn<QByteArray>("line");
        QTest::newRow("empty") << QByteArray("");
        QTest::newRow("truncated") << QByteArray::fromStdString(good.substr(0, good.size() / 2));
        QTest::newRow("garbage") << QByteArray("\x00\xff garbage", 10);
        QTest::newRow("not an object") << QByteArray("[1,2,3]");
        QTest::newRow("two objects") << QByteArray("{} {}");
        QTest::newRow("missing fields") << QByteArray("{\"time\":\"2026-12-01T00:00:00.000Z\"}");
        QTest::newRow("bytes negative") << QByteArray::fromStdString(
            std::string(good).replace(good.find("\"bytes\":4096"), 12, "\"bytes\":-1"));
        QTest::newRow("bytes a string") << QByteArray::fromStdString(
            std::string(good).replace(good.find("\"bytes\":4096"), 12, "\"bytes\":\"9\""));
        QTest::newRow("bad time") << QByteArray::fromStdString(
            std::string(good).replace(good.find("\"time\":\""), 8, "\"time\":\"x"));
        QTest::newRow("deep nesting") << QByteArray(100000, '[');
    }
    void damagedLinesAreErrors()
    {
        QFETCH(QByteArray, line);
        ParsedLine parsed = parseLine(std::string_view(line.constData(), size_t(line.size())));
        QVERIFY(!parsed.record);
        QVERIFY(!parsed.error.empty());
    }

    void unknownFieldsAreIgnored()
    {
        std::string line = formatLine(sampleGet());
        line.insert(1, "\"later\":{\"x\":[1]},");
        ParsedLine parsed = parseLine(line);
        QVERIFY2(parsed.record, parsed.error.c_str());
        QCOMPARE(*parsed.record, sampleGet());
    }

    void time_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms"); // -1: refused
        QTest::newRow("epoch") << "1970-01-01T00:00:00.000Z" << qint64(0);
        QTest::newRow("with ms") << "2026-12-01T12:23:43.123Z" << qint64(1796127823123);
        QTest::newRow("without ms") << "2026-12-01T12:23:43Z" << qint64(1796127823000);
        QTest::newRow("offset, not UTC") << "2026-12-01T12:23:43.123+01:00" << qint64(-1);
        QTest::newRow("month 13") << "2026-13-01T12:23:43.123Z" << qint64(-1);
        QTest::newRow("trailing") << "2026-12-01T12:23:43.123Zx" << qint64(-1);
        QTest::newRow("short") << "2026-12-01" << qint64(-1);
    }
    void time()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        std::optional<int64_t> parsed = parseTime(text.toStdString());
        QCOMPARE(parsed.value_or(-1), ms);
        if (parsed && text.contains('.'))
            QCOMPARE(QString::fromStdString(formatTime(*parsed)), text);
    }

    void writerAppendsWholeLinesAndReopens()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("audit.log");
        std::atomic<uint32_t> generation{0};
        AuditLog log(path.toStdString(), &generation);
        log.write(sampleGet());
        QVERIFY(QFile::rename(path, path + ".1")); // as logrotate does
        log.write(sampleGet());                    // not asked yet: still the renamed file
        generation.fetch_add(1);
        log.write(sampleGet());                    // asked: a fresh file at the path
        QFile rotated(path + ".1"), fresh(path);
        QVERIFY(rotated.open(QIODevice::ReadOnly) && fresh.open(QIODevice::ReadOnly));
        QCOMPARE(rotated.readAll().count('\n'), 2);
        QCOMPARE(fresh.readAll(), QByteArray::fromStdString(formatLine(sampleGet())));
        QCOMPARE(fresh.permissions() & (QFile::ReadOther | QFile::WriteOther), QFile::Permissions());
    }

    void batchIsWrittenWholeAndInOrderByFlush()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("audit.log");
        AuditLog log(path.toStdString(), nullptr);
        QByteArray expected;
        for (int i = 0; i < 3; ++i) {
            Record record = sampleGet();
            record.path = "file" + std::to_string(i);
            log.add(record);
            expected += QByteArray::fromStdString(formatLine(record));
        }
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray()); // gathered, not written
        log.flush();
        QCOMPARE(file.readAll(), expected);
        log.flush(); // nothing more to write
        QCOMPARE(file.size(), expected.size());
    }

    void fullBatchIsWrittenWithoutWaitingForFlush()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("audit.log");
        AuditLog log(path.toStdString(), nullptr);
        QByteArray expected;
        const Record record = sampleGet();
        const QByteArray line = QByteArray::fromStdString(formatLine(record));
        const int count = int(256 * 1024 / line.size()); // a few batches' worth
        for (int i = 0; i < count; ++i) {
            log.add(record);
            expected += line;
        }
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray early = file.readAll();
        QVERIFY(early.size() > 0 && early.size() < expected.size()); // bounded: not all held until flush()
        QVERIFY(early.endsWith('\n'));                             // and only whole lines
        log.flush();
        QCOMPARE(early + file.readAll(), expected);
    }

    void batchGoesToTheReopenedFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("audit.log");
        std::atomic<uint32_t> generation{0};
        AuditLog log(path.toStdString(), &generation);
        log.add(sampleGet());
        QVERIFY(QFile::rename(path, path + ".1"));
        generation.fetch_add(1); // asked before the batch was written: it goes to the fresh file
        log.flush();
        QFile rotated(path + ".1"), fresh(path);
        QVERIFY(rotated.open(QIODevice::ReadOnly) && fresh.open(QIODevice::ReadOnly));
        QCOMPARE(rotated.size(), 0);
        QCOMPARE(fresh.readAll(), QByteArray::fromStdString(formatLine(sampleGet())));
    }

    void unopenableFileIsAStartupError()
    {
        auto open = [] { AuditLog log("/nonexistent/dir/audit.log", nullptr); };
        QVERIFY_THROWS_EXCEPTION(ferry::server::ConfigError, open());
    }
};

QTEST_GUILESS_MAIN(TestAudit)
#include "tst_serverunit_audit.moc"
