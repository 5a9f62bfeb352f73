// The admin plane's JSON: what parses, what is refused (with no crash), and what the writer produces.
#include "adminproto/json.h"

#include <QtTest>

using ferry::admin::Json;
using ferry::admin::parseJson;

class TestJson : public QObject {
    Q_OBJECT
private slots:
    void roundTrip_data();
    void roundTrip();
    void refused_data();
    void refused();
    void values();
    void depthLimit();
    void writerEscapes_data();
    void writerEscapes();
    void garbageNeverCrashes();
};

void TestJson::roundTrip_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("canonical");
    QTest::newRow("null") << QByteArray("null") << QByteArray("null");
    QTest::newRow("true") << QByteArray(" true ") << QByteArray("true");
    QTest::newRow("int") << QByteArray("-42") << QByteArray("-42");
    QTest::newRow("int64 max") << QByteArray("9223372036854775807") << QByteArray("9223372036854775807");
    QTest::newRow("double") << QByteArray("1.5") << QByteArray("1.5");
    QTest::newRow("exponent") << QByteArray("2e3") << QByteArray("2000");
    QTest::newRow("string") << QByteArray("\"a b\"") << QByteArray("\"a b\"");
    QTest::newRow("escapes") << QByteArray(R"("\"\\\/\b\f\n\r\t")") << QByteArray(R"("\"\\/\u0008\u000c\u000a\u000d\u0009")");
    QTest::newRow("unicode escape") << QByteArray(R"("\u00e9")") << QByteArray("\"\xC3\xA9\"");
    QTest::newRow("surrogate pair") << QByteArray(R"("\ud83d\ude00")") << QByteArray("\"\xF0\x9F\x98\x80\"");
    QTest::newRow("empty array") << QByteArray("[ ]") << QByteArray("[]");
    QTest::newRow("empty object") << QByteArray("{ }") << QByteArray("{}");
    QTest::newRow("nested") << QByteArray(R"({"a":[1,{"b":null}],"c":"d"})") << QByteArray(R"({"a":[1,{"b":null}],"c":"d"})");
    QTest::newRow("order kept") << QByteArray(R"({"z":1,"a":2})") << QByteArray(R"({"z":1,"a":2})");
    QTest::newRow("duplicate key, last wins") << QByteArray(R"({"a":1,"a":2})") << QByteArray(R"({"a":2})");
    QTest::newRow("whitespace") << QByteArray(" \t\r\n[1 , 2]\n") << QByteArray("[1,2]");
}

void TestJson::roundTrip()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, canonical);
    auto parsed = parseJson(std::string_view(input.constData(), size_t(input.size())));
    QVERIFY2(parsed.value.has_value(), parsed.error.c_str());
    QCOMPARE(QByteArray::fromStdString(parsed.value->dump()), canonical);
    // The canonical form is a fixed point.
    auto again = parseJson(parsed.value->dump());
    QVERIFY(again.value.has_value());
    QCOMPARE(again.value->dump(), parsed.value->dump());
}

void TestJson::refused_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("offset");
    QTest::newRow("empty") << QByteArray("") << 0;
    QTest::newRow("spaces only") << QByteArray("   ") << 3;
    QTest::newRow("bare word") << QByteArray("status") << 0;
    QTest::newRow("trailing comma") << QByteArray("[1,]") << 3;
    QTest::newRow("unterminated object") << QByteArray("{\"a\":1") << 6;
    QTest::newRow("unterminated string") << QByteArray("\"abc") << 4;
    QTest::newRow("single quotes") << QByteArray("{'a':1}") << 1;
    QTest::newRow("unquoted key") << QByteArray("{a:1}") << 1;
    QTest::newRow("missing colon") << QByteArray("{\"a\" 1}") << 5;
    QTest::newRow("leading plus") << QByteArray("+1") << 0;
    QTest::newRow("leading zero") << QByteArray("01") << 1;
    QTest::newRow("bare dot") << QByteArray("1.") << 2;
    QTest::newRow("huge exponent") << QByteArray("1e999") << 0;
    QTest::newRow("control char in string") << QByteArray("\"a\tb\"") << 2;
    QTest::newRow("bad escape") << QByteArray(R"("\x")") << 2;
    QTest::newRow("short unicode escape") << QByteArray(R"("\u12")") << 3;
    QTest::newRow("lone high surrogate") << QByteArray(R"("\ud800x")") << 7;
    QTest::newRow("lone low surrogate") << QByteArray(R"("\udc00")") << 7;
    QTest::newRow("two values") << QByteArray("{} {}") << 3;
    QTest::newRow("NaN") << QByteArray("NaN") << 0;
    QTest::newRow("truncated literal") << QByteArray("tru") << 0;
    QTest::newRow("NUL byte") << QByteArray("[1,\0]", 5) << 3;
}

void TestJson::refused()
{
    QFETCH(QByteArray, input);
    QFETCH(int, offset);
    auto parsed = parseJson(std::string_view(input.constData(), size_t(input.size())));
    QVERIFY(!parsed.value.has_value());
    QVERIFY(!parsed.error.empty());
    QCOMPARE(int(parsed.errorOffset), offset);
}

void TestJson::values()
{
    auto parsed = parseJson(R"({"n":7,"d":7.0,"f":7.5,"s":"x","b":false,"a":[1,2,3]})");
    QVERIFY(parsed.value.has_value());
    const Json &v = *parsed.value;
    QVERIFY(v.isObject());
    QCOMPARE(v.find("n")->toInt(), 7);
    QVERIFY(v.find("d")->isNumber());
    QCOMPARE(v.find("d")->toInt(), 7); // an integral double converts
    QCOMPARE(v.find("f")->toInt(), 0);  // a fraction does not
    QCOMPARE(v.find("s")->toString(), std::string("x"));
    QVERIFY(v.find("b")->isBool() && !v.find("b")->toBool());
    QCOMPARE(int(v.find("a")->size()), 3);
    QVERIFY(v.find("missing") == nullptr);
    QVERIFY(Json(1).find("x") == nullptr);
    QCOMPARE(Json(uint64_t(UINT64_MAX)).toInt(), INT64_MAX); // clamped, never negative
}

void TestJson::depthLimit()
{
    const std::string ok = std::string(31, '[') + std::string(31, ']');
    QVERIFY(parseJson(ok).value.has_value());
    const std::string deep = std::string(33, '[') + std::string(33, ']');
    auto parsed = parseJson(deep);
    QVERIFY(!parsed.value.has_value());
    QCOMPARE(parsed.error, std::string("nesting too deep"));
    // A million brackets must not recurse a million times.
    QVERIFY(!parseJson(std::string(1'000'000, '[')).value.has_value());
}

void TestJson::writerEscapes_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("newline never raw") << QByteArray("a\nb") << QByteArray(R"("a\u000ab")");
    QTest::newRow("quote") << QByteArray("say \"hi\"") << QByteArray(R"("say \"hi\"")");
    QTest::newRow("utf8 kept") << QByteArray("caf\xC3\xA9") << QByteArray("\"caf\xC3\xA9\"");
    QTest::newRow("invalid byte replaced") << QByteArray("a\xFFz") << QByteArray("\"a\xEF\xBF\xBDz\"");
    QTest::newRow("truncated sequence") << QByteArray("\xC3") << QByteArray("\"\xEF\xBF\xBD\"");
    QTest::newRow("overlong slash") << QByteArray("\xC0\xAF") << QByteArray("\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    QTest::newRow("DEL escaped") << QByteArray("\x7F") << QByteArray(R"("\u007f")");
}

void TestJson::writerEscapes()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, json);
    const std::string out = Json(std::string(text.constData(), size_t(text.size()))).dump();
    QCOMPARE(QByteArray::fromStdString(out), json);
    QVERIFY(parseJson(out).value.has_value());
}

void TestJson::garbageNeverCrashes()
{
    // Deterministic pseudo-random inputs built from JSON's own alphabet, so the parser goes deep into
    // every branch. Each must either parse or fail with an offset inside the input.
    const char alphabet[] = "{}[]\":,0123456789.eE+-tfnrul\\ \xC3\xA9x";
    uint32_t seed = 12345;
    for (int round = 0; round < 20000; ++round) {
        std::string input;
        const int length = int(seed % 40);
        for (int i = 0; i < length; ++i) {
            seed = seed * 1103515245 + 12345;
            input += alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        seed = seed * 1103515245 + 12345;
        auto parsed = parseJson(input);
        if (!parsed.value)
            QVERIFY(parsed.errorOffset <= input.size());
        else
            QVERIFY(parseJson(parsed.value->dump()).value.has_value());
    }
}

QTEST_GUILESS_MAIN(TestJson)
#include "tst_json.moc"
