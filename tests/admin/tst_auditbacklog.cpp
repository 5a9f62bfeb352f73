// The audit subscribers' backlog (server/admin/audit_backlog.h, docs/ADMIN.md §4.4): the `audit` event
// line made of a record dumped once is byte for byte the line the event built as JSON gives; positions
// count on as records are forgotten, and start from 0 again once the backlog is cleared; the byte count
// that bounds it follows what it holds.
#include "admin/audit_backlog.h"
#include "adminproto/json.h"
#include "adminproto/protocol.h"

#include <QtTest>

#include <cstdint>
#include <string>

using ferry::admin::AuditBacklog;
using ferry::admin::Json;

Q_DECLARE_METATYPE(std::string)

class TestAuditBacklog : public QObject {
    Q_OBJECT
private slots:
    void eventLineIsTheEventDumped_data();
    void eventLineIsTheEventDumped();
    void positionsCountOnAcrossForgetting();
    void bytesBoundWhatItHolds();
};

void TestAuditBacklog::eventLineIsTheEventDumped_data()
{
    QTest::addColumn<std::string>("record"); // a line as it may stand in the audit log
    QTest::addColumn<quint64>("seq");
    const std::string stat = R"({"ts":"2026-12-02T17:00:00.123Z","peer":"127.0.0.1:51234","request":"STAT",)"
                             R"("path":"missing","result":"NOT_FOUND","bytes":0,"ms":0})";
    QTest::newRow("a STAT, seq 1") << stat << quint64(1);
    QTest::newRow("seq 9 to 10: one digit more") << stat << quint64(10);
    QTest::newRow("a large seq") << stat << quint64(12345678901234);
    QTest::newRow("spaces and key order as written")
        << std::string(R"({ "z" : 1 , "a" : [ 1 , 2.5 , -3 , true , null ] , "m" : { } })") << quint64(2);
    QTest::newRow("escapes") << std::string(R"({"path":"a\"b\\c\nd\u0001e\/f"})") << quint64(3);
    QTest::newRow("non-ASCII, raw and escaped") << std::string(R"({"path":"é€\u00e9\ud83d\ude00"})") << quint64(4);
    QTest::newRow("numbers as nlohmann writes them")
        << std::string(R"({"big":18446744073709551615,"neg":-9223372036854775808,"f":1e2,"g":0.1})") << quint64(5);
    QTest::newRow("nested") << std::string(R"({"a":{"b":{"c":["d",{"e":[]}]}}})") << quint64(6);
}

// The line the server sent before it kept records dumped: the event built as JSON, then toLine().
void TestAuditBacklog::eventLineIsTheEventDumped()
{
    QFETCH(std::string, record);
    QFETCH(quint64, seq);
    ferry::admin::JsonParseResult parsed = ferry::admin::parseJson(record);
    QVERIFY2(parsed.value && parsed.value->is_object(), parsed.error.c_str());
    Json message = ferry::admin::event("audit");
    message["seq"] = int64_t(seq);
    message["record"] = *parsed.value;
    const std::string expected = ferry::admin::toLine(message);

    const std::string dumped = ferry::admin::dumpJson(*parsed.value);
    QCOMPARE(ferry::admin::auditEventLine(seq, dumped), expected);
    QCOMPARE(ferry::admin::auditEventLineSize(seq, dumped), expected.size());
}

void TestAuditBacklog::positionsCountOnAcrossForgetting()
{
    AuditBacklog backlog;
    QVERIFY(backlog.isEmpty());
    QCOMPARE(backlog.begin(), uint64_t(0));
    QCOMPARE(backlog.end(), uint64_t(0));
    for (int i = 0; i < 5; ++i)
        backlog.append("{\"n\":" + std::to_string(i) + "}");
    QCOMPARE(backlog.end(), uint64_t(5));
    backlog.dropBefore(2); // the slowest subscriber is at 2
    QCOMPARE(backlog.begin(), uint64_t(2));
    QCOMPARE(backlog.at(2), std::string("{\"n\":2}"));
    QCOMPARE(backlog.at(4), std::string("{\"n\":4}"));
    backlog.dropBefore(1); // behind what is held already: nothing changes
    QCOMPARE(backlog.begin(), uint64_t(2));
    backlog.append("{\"n\":5}");
    QCOMPARE(backlog.at(5), std::string("{\"n\":5}"));
    backlog.dropBefore(backlog.end()); // everyone has everything
    QVERIFY(backlog.isEmpty());
    QCOMPARE(backlog.begin(), uint64_t(6));
    QCOMPARE(backlog.end(), uint64_t(6)); // a new subscriber starts here
    backlog.append("{}");
    backlog.clear(); // no one subscribes
    QVERIFY(backlog.isEmpty());
    QCOMPARE(backlog.end(), uint64_t(0));
    QCOMPARE(backlog.bytes(), size_t(0));
}

void TestAuditBacklog::bytesBoundWhatItHolds()
{
    AuditBacklog backlog;
    const std::string record(1000, 'x'); // not JSON: the backlog holds text, it does not look inside
    size_t appended = 0;
    while (!backlog.isFull()) {
        backlog.append(record);
        ++appended;
    }
    QCOMPARE(appended, (AuditBacklog::MaxBytes + record.size() - 1) / record.size());
    QCOMPARE(backlog.bytes(), appended * record.size());
    backlog.dropBefore(1);
    QVERIFY(!backlog.isFull()); // one record forgotten: room to read the file again
    QCOMPARE(backlog.bytes(), (appended - 1) * record.size());
}

QTEST_GUILESS_MAIN(TestAuditBacklog)
#include "tst_auditbacklog.moc"
