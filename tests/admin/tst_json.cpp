// The admin protocol on JSON it cannot use (docs/ADMIN.md §2): every such line is refused as `malformed`
// with one short sentence naming the byte, nesting is bounded, nothing throws; and what the protocol adds
// to nlohmann::json: key order, the writer that survives invalid UTF-8, the readers that never throw.
#include "adminproto/json.h"
#include "adminproto/protocol.h"

#include <QtTest>

#include <variant>

using ferry::admin::ErrorCode;
using ferry::admin::Json;
using ferry::admin::parseJson;
using ferry::admin::parseRequest;
using ferry::admin::Request;
using ferry::admin::RequestError;

namespace {

std::string_view view(const QByteArray &bytes)
{
    return std::string_view(bytes.constData(), size_t(bytes.size()));
}

} // namespace

class TestJson : public QObject {
    Q_OBJECT
private slots:
    void refused_data();
    void refused();
    void errorStaysShort();
    void depthLimit();
    void accepted_data();
    void accepted();
    void writerEscapes_data();
    void writerEscapes();
    void readersNeverThrow();
    void garbageNeverCrashes();
};

void TestJson::refused_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("message"); // how the error message the client reads begins
    // The byte is the one at which the parser gave up: the end of the token that cannot stand there.
    QTest::newRow("empty") << QByteArray("") << "invalid JSON at byte 0: ";
    QTest::newRow("spaces only") << QByteArray("   ") << "invalid JSON at byte 3: ";
    QTest::newRow("bare word") << QByteArray("status") << "invalid JSON at byte 0: ";
    QTest::newRow("not json") << QByteArray("{this is not json") << "invalid JSON at byte 2: ";
    QTest::newRow("trailing comma") << QByteArray(R"({"cmd":"status",})") << "invalid JSON at byte 16: ";
    QTest::newRow("unterminated object") << QByteArray(R"({"cmd":"status")") << "invalid JSON at byte 15: ";
    QTest::newRow("unterminated string") << QByteArray(R"({"cmd":"stat)") << "invalid JSON at byte 12: ";
    QTest::newRow("single quotes") << QByteArray("{'cmd':'status'}") << "invalid JSON at byte 1: ";
    QTest::newRow("missing colon") << QByteArray(R"({"cmd" "status"})") << "invalid JSON at byte 14: ";
    QTest::newRow("leading plus") << QByteArray(R"({"v":+1})") << "invalid JSON at byte 5: ";
    QTest::newRow("leading zero") << QByteArray(R"({"v":01})") << "invalid JSON at byte 6: ";
    QTest::newRow("huge exponent") << QByteArray(R"({"v":1e999})") << "invalid JSON at byte 9: ";
    QTest::newRow("control char in string") << QByteArray("{\"cmd\":\"a\tb\"}") << "invalid JSON at byte 9: ";
    QTest::newRow("bad escape") << QByteArray(R"({"cmd":"\x"})") << "invalid JSON at byte 9: ";
    QTest::newRow("lone surrogate") << QByteArray(R"({"cmd":"\ud800x"})") << "invalid JSON at byte 14: ";
    QTest::newRow("invalid UTF-8") << QByteArray("{\"cmd\":\"a\xFFz\"}") << "invalid JSON at byte 9: ";
    QTest::newRow("two values") << QByteArray("{} {}") << "invalid JSON at byte 3: ";
    QTest::newRow("comment") << QByteArray(R"({"cmd":"status"} // hi)") << "invalid JSON at byte 17: ";
    QTest::newRow("NUL byte") << QByteArray("{\"cmd\":\0}", 9) << "invalid JSON at byte 7: ";
    QTest::newRow("not an object") << QByteArray("[1,2]") << "a request must be a JSON object";
    QTest::newRow("a string") << QByteArray(R"("status")") << "a request must be a JSON object";
}

void TestJson::refused()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, message);
    const auto result = parseRequest(view(line));
    QVERIFY(std::holds_alternative<RequestError>(result));
    const RequestError &error = std::get<RequestError>(result);
    QCOMPARE(int(error.code), int(ErrorCode::Malformed));
    QVERIFY(ferry::admin::closesConnection(error.code));
    QVERIFY2(QString::fromStdString(error.message).startsWith(message), error.message.c_str());
    if (message.endsWith(QLatin1String(": ")))
        QVERIFY2(error.message.size() > size_t(message.size()), "the reason follows the byte");
    // The reply is one line of valid JSON, whatever bytes the request held.
    const std::string reply = ferry::admin::toLine(ferry::admin::errorReply(error));
    QCOMPARE(std::count(reply.begin(), reply.end(), '\n'), 1);
    QVERIFY(parseJson(reply).value.has_value());
}

void TestJson::errorStaysShort()
{
    // nlohmann's message echoes the token it stopped in; a 60 KiB unterminated string must not come back.
    const std::string line = R"({"cmd":")" + std::string(60000, 'a');
    const auto result = parseRequest(line);
    QVERIFY(std::holds_alternative<RequestError>(result));
    const std::string &message = std::get<RequestError>(result).message;
    QVERIFY2(message.size() < 200, message.c_str());
    QVERIFY2(message.rfind("invalid JSON at byte 60008: ", 0) == 0, message.c_str());
}

void TestJson::depthLimit()
{
    const auto nested = [](int levels) {
        return R"({"cmd":"status","x":)" + std::string(size_t(levels - 1), '[') + std::string(size_t(levels - 1), ']')
            + "}";
    };
    QVERIFY(std::holds_alternative<Request>(parseRequest(nested(32)))); // the object itself is level 1
    const auto deep = parseRequest(nested(33));
    QVERIFY(std::holds_alternative<RequestError>(deep));
    QCOMPARE(std::get<RequestError>(deep).message, std::string("JSON nested deeper than 32 levels"));
    QCOMPARE(int(std::get<RequestError>(deep).code), int(ErrorCode::Malformed));
    // A line's worth of brackets costs no recursion and no more than the line.
    QVERIFY(std::holds_alternative<RequestError>(parseRequest(std::string(65536, '['))));
}

void TestJson::accepted_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("canonical");
    QTest::newRow("order kept") << QByteArray(R"({"z":1,"a":2})") << QByteArray(R"({"z":1,"a":2})");
    QTest::newRow("duplicate key, last wins") << QByteArray(R"({"a":1,"b":0,"a":2})") << QByteArray(R"({"a":2,"b":0})");
    QTest::newRow("whitespace") << QByteArray(" \t\r\n[1 , 2]\n") << QByteArray("[1,2]");
    QTest::newRow("int64 max") << QByteArray("9223372036854775807") << QByteArray("9223372036854775807");
    QTest::newRow("unicode escape") << QByteArray(R"("\u00e9")") << QByteArray("\"\xC3\xA9\"");
    QTest::newRow("surrogate pair") << QByteArray(R"("\ud83d\ude00")") << QByteArray("\"\xF0\x9F\x98\x80\"");
    QTest::newRow("nested") << QByteArray(R"({"a":[1,{"b":null}],"c":"d"})")
                            << QByteArray(R"({"a":[1,{"b":null}],"c":"d"})");
}

void TestJson::accepted()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, canonical);
    const auto parsed = parseJson(view(input));
    QVERIFY2(parsed.value.has_value(), parsed.error.c_str());
    QCOMPARE(QByteArray::fromStdString(ferry::admin::dumpJson(*parsed.value)), canonical);
}

void TestJson::writerEscapes_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("newline never raw") << QByteArray("a\nb") << QByteArray(R"("a\nb")");
    QTest::newRow("other control") << QByteArray("a\x01z") << QByteArray(R"("a\u0001z")");
    QTest::newRow("quote") << QByteArray("say \"hi\"") << QByteArray(R"("say \"hi\"")");
    QTest::newRow("utf8 kept") << QByteArray("caf\xC3\xA9") << QByteArray("\"caf\xC3\xA9\"");
    QTest::newRow("invalid byte replaced") << QByteArray("a\xFFz") << QByteArray("\"a\xEF\xBF\xBDz\"");
    QTest::newRow("truncated sequence") << QByteArray("\xC3") << QByteArray("\"\xEF\xBF\xBD\"");
}

void TestJson::writerEscapes()
{
    // A worker's path comes off the disk and may be any bytes: the status line must still be JSON.
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, json);
    const std::string out = ferry::admin::dumpJson(Json(text.toStdString()));
    QCOMPARE(QByteArray::fromStdString(out), json);
    QVERIFY(parseJson(out).value.has_value());
}

void TestJson::readersNeverThrow()
{
    const Json v = *parseJson(R"({"n":7,"d":7.0,"f":7.5,"s":"x","a":[1,2,3],"big":18446744073709551615})").value;
    QCOMPARE(ferry::admin::intMember(v, "n"), 7);
    QCOMPARE(ferry::admin::intMember(v, "d"), 7); // an integral double counts
    QCOMPARE(ferry::admin::intMember(v, "f"), 0);
    QCOMPARE(ferry::admin::intMember(v, "s"), 0);
    QCOMPARE(ferry::admin::intMember(v, "missing"), 0);
    QCOMPARE(ferry::admin::textMember(v, "s"), std::string("x"));
    QCOMPARE(ferry::admin::textMember(v, "n"), std::string());
    QCOMPARE(ferry::admin::arrayMember(v, "a").size(), size_t(3));
    QVERIFY(ferry::admin::arrayMember(v, "s").empty());
    QVERIFY(ferry::admin::member(Json(1), "x") == nullptr);
    QVERIFY(ferry::admin::member(v, "missing") == nullptr);
    // An integer beyond int64 is not an integer argument.
    int64_t out = 0;
    std::string error;
    QCOMPARE(int(ferry::admin::intArg(v, "big", 0, INT64_MAX, out, error)), int(ferry::admin::ArgStatus::Invalid));
}

void TestJson::garbageNeverCrashes()
{
    // Deterministic pseudo-random lines built from JSON's own alphabet, so the parser goes deep into every
    // branch. Each must be a request or a clean refusal whose reply is valid JSON.
    const char alphabet[] = "{}[]\":,0123456789.eE+-tfnrul\\ \xC3\xA9x";
    uint32_t seed = 12345;
    for (int round = 0; round < 20000; ++round) {
        std::string line = round % 2 ? "{\"cmd\":" : "";
        const int length = int(seed % 40);
        for (int i = 0; i < length; ++i) {
            seed = seed * 1103515245 + 12345;
            line += alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        seed = seed * 1103515245 + 12345;
        const auto result = parseRequest(line);
        const Json reply = std::holds_alternative<RequestError>(result)
            ? ferry::admin::errorReply(std::get<RequestError>(result))
            : ferry::admin::okReply(std::get<Request>(result));
        QVERIFY(parseJson(ferry::admin::dumpJson(reply)).value.has_value());
    }
}

QTEST_GUILESS_MAIN(TestJson)
#include "tst_json.moc"
