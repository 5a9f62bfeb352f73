// Ferry Admin's models and pure helpers, fed with recorded STATUS objects (no server needed).
#include "admincommands.h"
#include "statusjson.h"
#include "format.h"
#include "historychart.h"
#include "historymodel.h"
#include "scoreboardstrip.h"
#include "statusfixtures.h"
#include "workerfilter.h"
#include "workermodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include <limits>

using namespace ferry::admingui;

using fixtures::Worker;

class TestAdminModels : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void formatBytes_data();
    void formatBytes();
    void formatByteRange_data();
    void formatByteRange();
    void parseByteRate_data();
    void parseByteRate();
    void parsesStatusAndIgnoresUnknownFields();
    void workerRowsMergeBySlot();
    void workerSpeedFromTwoSnapshots();
    void workerSpeedFromTheServer();
    void workerCpuOverTheLastInterval();
    void stateChangeFlashesThenFades();
    void filterBusyOnlyAndText();
    void sortsByRawValues();
    void historyFromReplyThenFromPushes();
    void historyKeepsTenMinutes();
    void scoreboardCellsAndLetters();
    void chartAxisIsRound();
    void describesRequestsAndReplies_data();
    void describesRequestsAndReplies();
};

void TestAdminModels::formatBytes_data()
{
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << qint64(0) << "0 B";
    QTest::newRow("bytes") << qint64(1023) << "1023 B";
    QTest::newRow("kib") << qint64(1536) << "1.50 KiB";
    QTest::newRow("mib") << qint64(73400320) << "70.0 MiB";
    QTest::newRow("unreadable") << qint64(-1) << "–";
}

void TestAdminModels::formatBytes()
{
    QFETCH(qint64, bytes);
    QFETCH(QString, text);
    QCOMPARE(::formatBytes(bytes), text);
}

// The Activity view's ranges: in the Bytes column's units where they start and end, and exactly in the
// tooltip, as the audit log and ferry-ctl audit have them.
void TestAdminModels::formatByteRange_data()
{
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<qint64>("length"); // -1: to the end
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("exact");
    QTest::newRow("first 4 MiB") << qint64(0) << qint64(4194304) << "0 – 4.00 MiB" << "bytes 0–4194303 (4194304 bytes)";
    QTest::newRow("a middle chunk") << qint64(4194304) << qint64(4194304) << "4.00 MiB – 8.00 MiB"
                                    << "bytes 4194304–8388607 (4194304 bytes)";
    QTest::newRow("small") << qint64(1000) << qint64(5000) << "1000 B – 5.86 KiB" << "bytes 1000–5999 (5000 bytes)";
    QTest::newRow("to the end") << qint64(1048576) << qint64(-1) << "1.00 MiB – end" << "bytes 1048576 to the end";
    QTest::newRow("empty") << qint64(1000) << qint64(0) << "1000 B – 1000 B" << "no bytes, at 1000";
    QTest::newRow("beyond int64") << qint64(1) << std::numeric_limits<qint64>::max() << "1 B – 8192.0 PiB"
                                  << "bytes 1–9223372036854775807 (9223372036854775807 bytes)";
}

void TestAdminModels::formatByteRange()
{
    QFETCH(qint64, offset);
    QFETCH(qint64, length);
    QFETCH(QString, text);
    QFETCH(QString, exact);
    const std::optional<qint64> span = length < 0 ? std::nullopt : std::optional<qint64>(length);
    QCOMPARE(::formatByteRange(offset, span), text);
    QCOMPARE(::formatExactByteRange(offset, span), exact);
}

void TestAdminModels::parseByteRate_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("value"); // -1: rejected
    QTest::newRow("plain") << "1048576" << qint64(1048576);
    QTest::newRow("zero") << "0" << qint64(0);
    QTest::newRow("k") << "512k" << qint64(524288);
    QTest::newRow("M") << "2M" << qint64(2097152);
    QTest::newRow("fraction G") << "1.5G" << qint64(1610612736);
    QTest::newRow("MiB/s") << "1 MiB/s" << qint64(1048576);
    QTest::newRow("unlimited") << "unlimited" << qint64(0);
    QTest::newRow("bytes per second") << "1234567 B/s" << qint64(1234567);
    QTest::newRow("negative") << "-5" << qint64(-1);
    QTest::newRow("words") << "fast" << qint64(-1);
    QTest::newRow("empty") << "" << qint64(-1);
}

void TestAdminModels::parseByteRate()
{
    QFETCH(QString, text);
    QFETCH(qint64, value);
    const auto parsed = ::parseByteRate(text);
    QCOMPARE(parsed.has_value(), value >= 0);
    if (parsed)
        QCOMPARE(*parsed, value);
}

void TestAdminModels::parsesStatusAndIgnoresUnknownFields()
{
    // Qt's JSON as the connection hands it over, read by adminproto (tests/admin/tst_statusjson covers
    // the reader itself): a field this version does not know is ignored.
    QJsonObject json = fixtures::status(1000000, {{1, "idle"}, {0, "sending", 1024, 4096, 0, "iso/a.iso", 999000}});
    json.insert(QStringLiteral("from_the_future"), QJsonObject{{"x", 1}});
    const std::optional<StatusSnapshot> s = statusFromJson(json);
    QVERIFY(s);
    QCOMPARE(s->server.listen, std::string("127.0.0.1:4646"));
    QCOMPARE(s->server.identity, std::string("LFMI-XVNJ-B34P-7VDO-S2GD-NHJ4-L7MA-IQDC-YNUY-H57T-UEWG-LWSO-KEPQ"));
    QCOMPARE(s->server.plaintext, std::string("off"));
    QCOMPARE(s->pool.limits.maxWorkers, int64_t(8));
    QCOMPARE(s->pool.ratePerConnection, int64_t(1048576));
    QCOMPARE(int(s->workers.size()), 2);
    QCOMPARE(s->workers.at(0).slot, int64_t(0)); // sorted by slot
    QCOMPARE(reportedState(s->workers.at(0).state), WorkerState::Sending);
    QCOMPARE(s->workers.at(0).path, std::string("iso/a.iso"));
    QCOMPARE(reportedState(s->workers.at(1).state), WorkerState::Idle);
    QVERIFY(!statusFromJson(QJsonObject{{"now_ms", 1}}));
    QVERIFY(!workerStateFromString(QStringLiteral("hibernating")));
}

void TestAdminModels::workerRowsMergeBySlot()
{
    WorkerModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.updateFromStatus(fixtures::snapshot(fixtures::status(1000, {{0, "idle"}, {2, "idle"}})));
    QCOMPARE(model.rowCount(), 2);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.updateFromStatus(fixtures::snapshot(fixtures::status(2000, {{1, "starting"}, {2, "idle"}, {5, "idle"}})));
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(inserted.size(), 2);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(reset.size(), 0); // merged, so selection survives
    QCOMPARE(model.rowForSlot(0), -1);
    QCOMPARE(model.rowForSlot(5), 2);
    QCOMPARE(model.index(0, WorkerModel::StateColumn).data().toString(), QStringLiteral("starting"));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestAdminModels::workerSpeedFromTwoSnapshots()
{
    WorkerModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    constexpr qint64 MiB = 1048576;
    model.updateFromStatus(fixtures::snapshot(
        fixtures::status(10000, {{0, "sending", 4 * MiB, 16 * MiB, 0, "big.bin", 6000}})));
    // No earlier snapshot: the average since the transfer began (4 MiB in 4 s).
    QCOMPARE(model.speed(0), MiB);
    model.updateFromStatus(fixtures::snapshot(
        fixtures::status(12000, {{0, "sending", 12 * MiB, 16 * MiB, 0, "big.bin", 6000}})));
    // 8 MiB in the 2 s between the two snapshots.
    QCOMPARE(model.speed(0), 4 * MiB);
    QCOMPARE(model.index(0, WorkerModel::ProgressColumn).data(WorkerModel::ProgressRole).toDouble(), 0.75);
    QCOMPARE(model.index(0, WorkerModel::DurationColumn).data().toString(), QStringLiteral("6 s"));
    QVERIFY(model.index(0, WorkerModel::BytesColumn).data().toString().contains(QStringLiteral("12.0 MiB")));
    // The transfer freezes (a rate limit lowered to almost nothing): the speed falls and reads 0 once the
    // window holds no progress, instead of halving towards zero for ever.
    for (const qint64 nowMs : {13000, 14000, 15000})
        model.updateFromStatus(fixtures::snapshot(
            fixtures::status(nowMs, {{0, "sending", 12 * MiB, 16 * MiB, 0, "big.bin", 6000}})));
    QCOMPARE(model.speed(0), qint64(0));
    model.updateFromStatus(fixtures::snapshot(fixtures::status(16000, {{0, "idle"}})));
    QCOMPARE(model.speed(0), qint64(0));
    QCOMPARE(model.index(0, WorkerModel::ProgressColumn).data(WorkerModel::ProgressRole).toDouble(), -1.0);
}

// A server that measures each transfer (throughput_bps) is shown as it is: not the average since the
// start, not the model's own window, and 0 the moment the server says the transfer froze.
void TestAdminModels::workerSpeedFromTheServer()
{
    WorkerModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    constexpr qint64 MiB = 1048576;
    model.updateFromStatus(fixtures::snapshot(
        fixtures::status(10000, {{0, "sending", 4 * MiB, 16 * MiB, 0, "big.bin", 6000, 120, 3 * MiB}})));
    QCOMPARE(model.speed(0), 3 * MiB); // the average since the start would be 1 MiB/s
    model.updateFromStatus(fixtures::snapshot(
        fixtures::status(11000, {{0, "sending", 6 * MiB, 16 * MiB, 0, "big.bin", 6000, 120, 0}})));
    QCOMPARE(model.speed(0), qint64(0)); // the model's own window would say 2 MiB/s
    QCOMPARE(model.index(0, WorkerModel::SpeedColumn).data().toString(), formatRate(0));
}

void TestAdminModels::workerCpuOverTheLastInterval()
{
    WorkerModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto cpu = [&model] { return model.index(0, WorkerModel::CpuColumn); };
    const auto snapshot = [&model](qint64 nowMs, qint64 pid, qint64 cpuMs) {
        model.updateFromStatus(fixtures::snapshot(fixtures::status(nowMs, {{0, "idle", 0, 0, pid, "", 0, cpuMs}})));
    };
    snapshot(10000, 4250, 120);
    // One snapshot has no interval: nothing to show yet, but the total is in the tooltip.
    QCOMPARE(model.cpuPercent(0), -1.0);
    QCOMPARE(cpu().data().toString(), QString());
    QVERIFY2(cpu().data(Qt::ToolTipRole).toString().contains(QStringLiteral("120 ms")),
             qPrintable(cpu().data(Qt::ToolTipRole).toString()));
    snapshot(12000, 4250, 1620); // 1.5 s of CPU in 2 s
    QCOMPARE(model.cpuPercent(0), 75.0);
    QCOMPARE(cpu().data().toString(), QStringLiteral("75 %"));
    QCOMPARE(cpu().data(WorkerModel::SortRole).toDouble(), 75.0);
    QVERIFY(cpu().data(Qt::ToolTipRole).toString().contains(QStringLiteral("1.6 s")));
    snapshot(13000, 4250, 1623); // nearly idle: a decimal is worth showing
    QCOMPARE(cpu().data().toString(), QStringLiteral("0.3 %"));
    snapshot(14000, 4251, 2000); // a new process in the slot: its counter says nothing about the old one's
    QCOMPARE(model.cpuPercent(0), -1.0);
    QCOMPARE(cpu().data().toString(), QString());
    snapshot(15000, 4251, -1); // the server could not read /proc
    QCOMPARE(cpu().data().toString(), QStringLiteral("–"));
    QCOMPARE(model.cpuPercent(0), -1.0);
}

void TestAdminModels::stateChangeFlashesThenFades()
{
    WorkerModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.updateFromStatus(fixtures::snapshot(fixtures::status(1000, {{0, "idle"}, {1, "idle"}})));
    QVERIFY(!model.isFlashing(0)); // the first snapshot is no change
    model.updateFromStatus(fixtures::snapshot(
        fixtures::status(2000, {{0, "sending", 1, 10, 0, "a", 1500}, {1, "idle"}})));
    QVERIFY(model.isFlashing(0));
    QVERIFY(!model.isFlashing(1));
    QVERIFY(model.index(0, WorkerModel::PidColumn).data(Qt::BackgroundRole).value<QColor>().isValid());
    QTRY_VERIFY_WITH_TIMEOUT(!model.isFlashing(0), WorkerModel::FlashDurationMs * 10);
    QVERIFY(!model.index(0, WorkerModel::PidColumn).data(Qt::BackgroundRole).isValid());
}

void TestAdminModels::filterBusyOnlyAndText()
{
    WorkerModel model;
    WorkerFilter filter;
    filter.setSourceModel(&model);
    QAbstractItemModelTester tester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.updateFromStatus(fixtures::snapshot(fixtures::status(
        5000, {{0, "sending", 1, 10, 0, "iso/debian.iso", 4000}, {1, "idle"}, {2, "reading", 0, 0, 0, "x", 4500}})));
    QCOMPARE(filter.rowCount(), 3);
    filter.setBusyOnly(true);
    QCOMPARE(filter.rowCount(), 2);
    filter.setFilterFixedString(QStringLiteral("DEBIAN"));
    QCOMPARE(filter.rowCount(), 1);
    QCOMPARE(filter.index(0, WorkerModel::SlotColumn).data().toInt(), 0);
    filter.setBusyOnly(false);
    filter.setFilterFixedString(QString());
    QCOMPARE(filter.rowCount(), 3);
}

void TestAdminModels::sortsByRawValues()
{
    WorkerModel model;
    WorkerFilter filter;
    filter.setSourceModel(&model);
    // Bytes: 2 KiB sorts above 900 B although "900 B" > "2.00 KiB" as text.
    model.updateFromStatus(fixtures::snapshot(fixtures::status(
        5000, {{0, "sending", 900, 10000, 0, "a", 4000}, {1, "sending", 2048, 10000, 0, "b", 4000}})));
    filter.sort(WorkerModel::BytesColumn, Qt::DescendingOrder);
    QCOMPARE(filter.index(0, WorkerModel::SlotColumn).data().toInt(), 1);
    filter.sort(WorkerModel::BytesColumn, Qt::AscendingOrder);
    QCOMPARE(filter.index(0, WorkerModel::SlotColumn).data().toInt(), 0);
}

void TestAdminModels::historyFromReplyThenFromPushes()
{
    HistoryModel history;
    QSignalSpy changed(&history, &HistoryModel::changed);
    QJsonArray samples;
    for (int i = 0; i < 3; ++i)
        samples.append(QJsonObject{{"t_ms", 100000 + i * 1000}, {"throughput_bps", i * 100}, {"busy", i}});
    history.setHistory(QJsonObject{{"interval_ms", 1000}, {"samples", samples}});
    QCOMPARE(history.samples().size(), 3);
    QCOMPARE(history.samples().constLast().busy, 2);
    // A push 400 ms after the newest sample is too soon; one a second later is a sample.
    history.addStatus(fixtures::snapshot(fixtures::status(102400, {{0, "idle"}})));
    QCOMPARE(history.samples().size(), 3);
    history.addStatus(fixtures::snapshot(fixtures::status(103000, {{0, "sending", 5, 10, 0, "a", 102900}}, 8, 777)));
    QCOMPARE(history.samples().size(), 4);
    QCOMPARE(history.samples().constLast().throughput, qint64(777));
    QCOMPARE(history.samples().constLast().busy, 1);
    QCOMPARE(changed.size(), 2);
}

void TestAdminModels::historyKeepsTenMinutes()
{
    HistoryModel history;
    QJsonArray samples;
    for (int i = 0; i < 700; ++i)
        samples.append(QJsonObject{{"t_ms", qint64(i) * 1000}, {"throughput_bps", 1}, {"busy", 0}});
    history.setHistory(QJsonObject{{"samples", samples}});
    QCOMPARE(history.samples().size(), 601); // 0 … 600 s back from the newest
    QCOMPARE(history.latestMs() - history.samples().constFirst().tMs, HistoryModel::WindowMs);
}

void TestAdminModels::scoreboardCellsAndLetters()
{
    const StatusSnapshot s = fixtures::snapshot(fixtures::status(
        1000, {{0, "sending"}, {1, "idle"}, {3, "hibernating"}, {4, "starting"}, {5, "stopping"}, {6, "reading"}}, 8));
    ScoreboardStrip strip;
    strip.setCells(ScoreboardStrip::cellsFromStatus(s));
    // A state this version does not know (a newer server's) is shown as '?', not as another state.
    QCOMPARE(strip.letters(), QStringLiteral("W_.?SGR."));
    // A worker in a slot beyond max_workers (limits just lowered) is still shown.
    strip.setCells(ScoreboardStrip::cellsFromStatus(fixtures::snapshot(fixtures::status(1000, {{9, "idle"}}, 2))));
    QCOMPARE(strip.letters(), QStringLiteral(".........") + QLatin1Char('_'));
    strip.resize(200, strip.heightForWidth(200));
    QSignalSpy clicked(&strip, &ScoreboardStrip::slotClicked);
    QCOMPARE(strip.cellAt(QPoint(2, 2)), 0);
    QTest::mouseClick(&strip, Qt::LeftButton, {}, QPoint(2, 2)); // an empty slot: nothing to select
    QCOMPARE(clicked.size(), 0);
}

void TestAdminModels::chartAxisIsRound()
{
    HistoryModel history;
    HistoryChart throughput(&history, HistoryChart::Series::Throughput);
    HistoryChart busy(&history, HistoryChart::Series::BusyWorkers);
    QJsonArray samples{QJsonObject{{"t_ms", 1000}, {"throughput_bps", 3 * 1048576}, {"busy", 5}}};
    history.setHistory(QJsonObject{{"samples", samples}});
    QCOMPARE(throughput.axisMaximum(), qint64(4 * 1048576));
    QCOMPARE(busy.axisMaximum(), qint64(8));
    throughput.resize(400, 150);
    QVERIFY(!throughput.grab().isNull());
}

void TestAdminModels::describesRequestsAndReplies_data()
{
    QTest::addColumn<QJsonObject>("reply");
    QTest::addColumn<QString>("text");
    QTest::newRow("kill ok") << QJsonObject{{"ok", true}, {"cmd", "kill_worker"}, {"slot", 3}, {"pid", 4253}}
                             << "ok: worker pid 4253 in slot 3 is being stopped";
    QTest::newRow("not found")
        << QJsonObject{{"ok", false}, {"cmd", "kill_worker"},
                       {"error", QJsonObject{{"code", "not_found"}, {"message", "no worker in slot 9"}}}}
        << "not_found: no worker in slot 9";
    QTest::newRow("drain") << QJsonObject{{"ok", true}, {"cmd", "drain"}, {"state", "draining"}}
                           << "ok: server is draining";
    QTest::newRow("rate") << QJsonObject{{"ok", true}, {"cmd", "rate_limit"},
                                         {"rate_limit", QJsonObject{{"per_connection", 1048576}, {"global", 0}}}}
                          << "ok: rate limit per connection 1.00 MiB/s, global unlimited";
    QTest::newRow("rate per address") << QJsonObject{{"ok", true}, {"cmd", "rate_limit"},
                                                     {"rate_limit", QJsonObject{{"per_connection", 0}, {"global", 0},
                                                                                {"per_ip", 786432}}}}
                                      << "ok: rate limit per connection unlimited, global unlimited, "
                                         "per client address 768.0 KiB/s";
}

void TestAdminModels::describesRequestsAndReplies()
{
    QFETCH(QJsonObject, reply);
    QFETCH(QString, text);
    QCOMPARE(AdminCommands::describeReply(reply), text);
    QCOMPARE(AdminCommands::describeRequest(AdminCommands::killWorker(3, false)),
             QStringLiteral("kill_worker graceful=false slot=3"));
    const QJsonObject rate = AdminCommands::rateLimit(std::nullopt, 0);
    QVERIFY(!rate.contains(QStringLiteral("per_connection")));
    QCOMPARE(rate.value(QStringLiteral("global")).toInteger(), qint64(0));
    QVERIFY(!rate.contains(QStringLiteral("per_ip"))); // not given: the server keeps its per-address rate
    QCOMPARE(AdminCommands::rateLimit(std::nullopt, std::nullopt, 1024).value(QStringLiteral("per_ip")).toInteger(),
             qint64(1024));
}

QTEST_MAIN(TestAdminModels)
#include "tst_adminmodels.moc"
