// The metrics endpoint's request parser as a table: what is served, what is refused and with which code,
// and which Accept headers get OpenMetrics.
#include "metrics/http_request.h"

#include <QtTest>

using ferry::metrics::HttpVerdict;
using ferry::metrics::MaxRequestBytes;
Q_DECLARE_METATYPE(HttpVerdict)

class TestHttpRequest : public QObject {
    Q_OBJECT
private slots:
    void verdicts_data();
    void verdicts();
    void accept_data();
    void accept();
    void sizeBound();
};

void TestHttpRequest::verdicts_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<HttpVerdict>("verdict");
    auto row = [](const char *name, const char *request, HttpVerdict verdict) {
        QTest::newRow(name) << QByteArray(request) << verdict;
    };
    row("curl", "GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/7.88\r\nAccept: */*\r\n\r\n", HttpVerdict::Serve);
    row("http/1.0 bare LF", "GET /metrics HTTP/1.0\n\n", HttpVerdict::Serve);
    row("query string", "GET /metrics?name[]=x HTTP/1.1\r\n\r\n", HttpVerdict::Serve);
    row("headers pending", "GET /metrics HTTP/1.1\r\nHost: x\r\n", HttpVerdict::Incomplete);
    row("request line pending", "GET /metr", HttpVerdict::Incomplete);
    row("empty", "", HttpVerdict::Incomplete);
    row("other path", "GET / HTTP/1.1\r\n", HttpVerdict::NotFound);
    row("path prefix", "GET /metricsx HTTP/1.1\r\n", HttpVerdict::NotFound);
    row("post", "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", HttpVerdict::NotAllowed);
    row("head", "HEAD /metrics HTTP/1.1\r\n", HttpVerdict::NotAllowed);
    row("lower-case method", "get /metrics HTTP/1.1\r\n", HttpVerdict::NotAllowed);
    row("no version", "GET /metrics\r\n", HttpVerdict::BadRequest);
    row("http/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HttpVerdict::BadRequest);
    row("two spaces", "GET  /metrics HTTP/1.1\r\n", HttpVerdict::BadRequest);
    row("absolute form", "GET http://h/metrics HTTP/1.1\r\n", HttpVerdict::BadRequest);
    row("control in target", "GET /met\x01rics HTTP/1.1\r\n", HttpVerdict::BadRequest);
    row("garbage line", "\x16\x03\x01\x02\x05\x01\x07\n", HttpVerdict::BadRequest);
    row("header without colon", "GET /metrics HTTP/1.1\r\nHost x\r\n\r\n", HttpVerdict::BadRequest);
    row("folded header", "GET /metrics HTTP/1.1\r\nAccept: a,\r\n b\r\n\r\n", HttpVerdict::BadRequest);
    row("space before colon", "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", HttpVerdict::BadRequest);
    row("control in value", "GET /metrics HTTP/1.1\r\nX: a\x01\r\n\r\n", HttpVerdict::BadRequest);
}

void TestHttpRequest::verdicts()
{
    QFETCH(QByteArray, request);
    QFETCH(HttpVerdict, verdict);
    QCOMPARE(ferry::metrics::parseHttpRequest(request.toStdString()).verdict, verdict);
}

void TestHttpRequest::accept_data()
{
    QTest::addColumn<QByteArray>("accept");
    QTest::addColumn<bool>("openMetrics");
    QTest::newRow("prometheus 2.42")
        << QByteArray("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
                      "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
        << true;
    QTest::newRow("text only") << QByteArray("text/plain;version=0.0.4") << false;
    QTest::newRow("anything") << QByteArray("*/*") << false;
    QTest::newRow("none") << QByteArray() << false;
    QTest::newRow("text preferred") << QByteArray("application/openmetrics-text;q=0.3, text/plain") << false;
    QTest::newRow("refused") << QByteArray("application/openmetrics-text;q=0") << false;
    QTest::newRow("case and spaces") << QByteArray(" Application/OpenMetrics-Text ; Q=1 ") << true;
    QTest::newRow("bad q") << QByteArray("application/openmetrics-text;q=lots") << false;
}

void TestHttpRequest::accept()
{
    QFETCH(QByteArray, accept);
    QFETCH(bool, openMetrics);
    QCOMPARE(ferry::metrics::prefersOpenMetrics(accept.toStdString()), openMetrics);
    // The same value as a header decides the format of the reply.
    const std::string request = "GET /metrics HTTP/1.1\r\nAccept: " + accept.toStdString() + "\r\n\r\n";
    const auto parsed = ferry::metrics::parseHttpRequest(request);
    QCOMPARE(parsed.verdict, HttpVerdict::Serve);
    QCOMPARE(parsed.format == ferry::metrics::Format::OpenMetrics, openMetrics);
}

void TestHttpRequest::sizeBound()
{
    std::string request = "GET /metrics HTTP/1.1\r\n";
    while (request.size() < MaxRequestBytes - 100)
        request += "X-Filler: " + std::string(60, 'a') + "\r\n";
    QCOMPARE(ferry::metrics::parseHttpRequest(request + "\r\n").verdict, HttpVerdict::Serve);
    request.resize(MaxRequestBytes, 'a');
    QCOMPARE(ferry::metrics::parseHttpRequest(request).verdict, HttpVerdict::TooLarge);
    // A request line longer than the bound is refused as soon as the bound is reached.
    QCOMPARE(ferry::metrics::parseHttpRequest("GET /" + std::string(MaxRequestBytes, 'm')).verdict,
             HttpVerdict::TooLarge);
}

QTEST_GUILESS_MAIN(TestHttpRequest)
#include "tst_http_request.moc"
