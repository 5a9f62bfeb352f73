// The metrics renderer on a fixed STATUS (tests/admin/data/status.json): names, types and series as
// Prometheus text and as OpenMetrics. The real parsers judge live output in tst_metrics_endpoint.
#include "metrics/exposition.h"

#include <QtTest>

using ferry::admin::Json;
using ferry::admin::parseJson;
using ferry::metrics::Format;

namespace {
Json loadStatus()
{
    QFile file(QStringLiteral(FERRY_SOURCE_DIR "/tests/admin/data/status.json"));
    if (!file.open(QIODevice::ReadOnly))
        return Json();
    auto parsed = parseJson(file.readAll().toStdString());
    return parsed.value ? *parsed.value : Json();
}

QByteArray render(Format format)
{
    return QByteArray::fromStdString(ferry::metrics::renderMetrics(loadStatus(), format));
}
} // namespace

class TestMetricsText : public QObject {
    Q_OBJECT
private slots:
    void lines_data();
    void lines();
    void familiesPerFormat();
    void seriesAreStable();
    void unreadableFiguresAreLeftOut();
};

void TestMetricsText::lines_data()
{
    QTest::addColumn<bool>("openMetrics");
    QTest::addColumn<QByteArray>("line");
    for (bool om : {false, true}) {
        const char *tag = om ? "openmetrics" : "prometheus";
        auto row = [&](const char *name, const char *line) {
            QTest::addRow("%s: %s", tag, name) << om << QByteArray(line);
        };
        row("busy", "ferry_workers{state=\"busy\"} 1");
        row("accepted", "ferry_accepted_connections_total 10");
        row("bytes", "ferry_sent_bytes_total 3145728");
        row("info", "ferry_build_info{version=\"0.1.0\"} 1");
        row("generation", "ferry_generation 2");
        row("worker bytes", "ferry_worker_transfer_sent_bytes{slot=\"0\"} 1048576");
        row("worker cpu", "ferry_worker_cpu_seconds_total{slot=\"0\"} 1.500");
        row("worker requests", "ferry_worker_requests_total{slot=\"5\"} 9");
        row("state on", "ferry_worker_state{slot=\"0\",state=\"sending\"} 1");
        row("state off", "ferry_worker_state{slot=\"0\",state=\"idle\"} 0");
    }
}

void TestMetricsText::lines()
{
    QFETCH(bool, openMetrics);
    QFETCH(QByteArray, line);
    const QByteArray text = render(openMetrics ? Format::OpenMetrics : Format::Prometheus);
    QVERIFY2(text.split('\n').contains(line), text.constData());
}

// Prometheus text names a family after its samples; OpenMetrics without the _total/_info suffix, with units.
void TestMetricsText::familiesPerFormat()
{
    const QByteArray prometheus = render(Format::Prometheus);
    QVERIFY(prometheus.contains("# TYPE ferry_accepted_connections_total counter\n"));
    QVERIFY(prometheus.contains("# TYPE ferry_build_info gauge\n"));
    QVERIFY(!prometheus.contains("# UNIT"));
    QVERIFY(!prometheus.contains("# EOF"));
    const QByteArray open = render(Format::OpenMetrics);
    QVERIFY(open.contains("# TYPE ferry_accepted_connections counter\n"));
    QVERIFY(open.contains("# TYPE ferry_build info\n"));
    QVERIFY(open.contains("# UNIT ferry_sent_bytes bytes\n"));
    QVERIFY(open.endsWith("\n# EOF\n"));
}

// One series per slot and state whatever the worker is doing: no pid, no state label on a figure.
void TestMetricsText::seriesAreStable()
{
    const QByteArray text = render(Format::Prometheus);
    QVERIFY(!text.contains("pid="));
    QCOMPARE(text.count("ferry_worker_state{slot=\"2\","), 5); // starting idle reading sending stopping
    QCOMPARE(text.count("ferry_worker_requests_total{"), 3);
    for (const QByteArray &line : text.split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        QCOMPARE(line.count(' '), 1); // "name{labels} value"
        if (line.startsWith("ferry_worker_") && !line.startsWith("ferry_worker_state"))
            QVERIFY2(line.contains("{slot=\"") && line.count('=') == 1, line.constData());
    }
}

void TestMetricsText::unreadableFiguresAreLeftOut()
{
    Json status = loadStatus();
    status["workers"] = Json::array({Json{{"slot", 4}, {"state", "idle"}, {"rss_bytes", -1}, {"open_fds", 3}}});
    const QByteArray text = QByteArray::fromStdString(ferry::metrics::renderMetrics(status, Format::Prometheus));
    QVERIFY(!text.contains("ferry_worker_resident_memory_bytes{"));
    QVERIFY(text.contains("ferry_worker_open_fds{slot=\"4\"} 3\n"));
}

QTEST_GUILESS_MAIN(TestMetricsText)
#include "tst_metrics_text.moc"
