// Ferry Admin's panels as a user meets them, fed with recorded STATUS objects (no server needed):
// what stays selected, what fits, what the fields and charts say.
#include "statusjson.h"
#include "activitymodel.h"
#include "admincommands.h"
#include "controlpanel.h"
#include "format.h"
#include "historychart.h"
#include "historymodel.h"
#include "reconnectwatch.h"
#include "statusfixtures.h"
#include "summarypanel.h"
#include "workermodel.h"
#include "workerspanel.h"

#include <QAction>
#include <QPushButton>
#include <QSpinBox>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QApplication>
#include <QLineEdit>
#include <QTableView>
#include <QToolButton>
#include <QTest>

using namespace ferry::admingui;

using fixtures::Worker;

class TestAdminPanels : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void selectionFollowsTheSlotNotTheRow();
    void fileAndDurationFitAt1280();
    void connectionIdHasAColumn();
    void rateInputRoundTrips_data();
    void rateInputRoundTrips();
    void rateFieldsShowUnitsAndApplyUnchanged();
    void perAddressRateIsReachedByKeyAndSaysWhatItLimits();
    void chartsStopSayingNowWhenTheServerGoes();
    void contradictoryPoolLimitsAreSaidAndNotSent();
    void aStoppingServerOffersNoCommands();
    void statusBarGetsAHeadlineNotTheWire();
    void tlsIsWrittenAsElsewhere();
    void summaryReflowsInsteadOfClipping();
    void workerActionsKeepTheirWordsWhenNarrow();
    void noticesAClientThatReconnectsAtOnce();
};

void TestAdminPanels::selectionFollowsTheSlotNotTheRow()
{
    WorkerModel model;
    WorkersPanel panel(&model);
    const QList<Worker> three = {{0, "sending", 1, 10, 0, "a", 500}, {1, "sending", 1, 10, 0, "b", 500},
                                 {2, "sending", 1, 10, 0, "c", 500}};
    model.updateFromStatus(fixtures::snapshot(fixtures::status(1000, three)));
    panel.selectSlot(1);
    QCOMPARE(panel.selectedSlot(), 1);

    // The selected worker is killed: its row goes, and no other worker is selected in its place.
    model.updateFromStatus(fixtures::snapshot(fixtures::status(2000, {three.at(0), three.at(2)})));
    QCOMPARE(panel.selectedSlot(), -1);
    QVERIFY(!panel.killNowAction()->isEnabled());

    // Its replacement comes up in the same slot: the selection is back where the user left it.
    model.updateFromStatus(fixtures::snapshot(fixtures::status(3000, three)));
    QCOMPARE(panel.selectedSlot(), 1);

    // A choice the user makes is kept through refreshes.
    panel.selectSlot(2);
    model.updateFromStatus(fixtures::snapshot(fixtures::status(4000, three)));
    QCOMPARE(panel.selectedSlot(), 2);
}

void TestAdminPanels::fileAndDurationFitAt1280()
{
    // The workers table's width in a 1280 px window with the control dock open (about 945 px).
    WorkerModel model;
    WorkersPanel panel(&model);
    panel.resize(945, 400);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    model.updateFromStatus(fixtures::snapshot(
        fixtures::status(1000, {{0, "sending", 5, 50, 0, "long folder name for testing widths/file-1.iso", 500}})));
    QTableView *view = panel.view();
    QHeaderView *header = view->horizontalHeader();
    const int right = header->sectionViewportPosition(WorkerModel::DurationColumn)
                      + header->sectionSize(WorkerModel::DurationColumn);
    QVERIFY2(right <= view->viewport()->width(),
             qPrintable(QStringLiteral("Duration ends at %1 of %2 px").arg(right).arg(view->viewport()->width())));
    QVERIFY(header->sectionSize(WorkerModel::FileColumn) >= 300);
    // A narrow window still leaves the file a readable column, scrolling the rest.
    panel.resize(560, 400);
    QTRY_VERIFY(header->sectionSize(WorkerModel::FileColumn) >= 160);
}

void TestAdminPanels::connectionIdHasAColumn()
{
    WorkerModel model;
    model.updateFromStatus(fixtures::snapshot(fixtures::status(1000, {{3, "sending", 5, 50, 0, "f", 500},
                                                                         {4, "idle"}})));
    QCOMPARE(model.headerData(WorkerModel::ConnectionColumn, Qt::Horizontal).toString(), QStringLiteral("Conn"));
    QCOMPARE(model.index(0, WorkerModel::ConnectionColumn).data().toLongLong(), 20); // fixtures: 17 + slot
    QCOMPARE(model.index(1, WorkerModel::ConnectionColumn).data().toString(), QString());
}

void TestAdminPanels::rateInputRoundTrips_data()
{
    QTest::addColumn<qint64>("rate");
    QTest::addColumn<QString>("text");
    QTest::newRow("unlimited") << qint64(0) << "unlimited";
    QTest::newRow("one MiB") << qint64(1048576) << "1 MiB/s";
    QTest::newRow("one and a half MiB") << qint64(1572864) << "1.5 MiB/s";
    QTest::newRow("a quarter GiB more") << qint64(5368709120 + 268435456) << "5.25 GiB/s";
    QTest::newRow("KiB") << qint64(768 * 1024) << "768 KiB/s";
    QTest::newRow("not a round figure") << qint64(1234567) << "1234567 B/s";
    QTest::newRow("bytes") << qint64(500) << "500 B/s";
}

void TestAdminPanels::rateInputRoundTrips()
{
    QFETCH(qint64, rate);
    QFETCH(QString, text);
    QCOMPARE(formatRateInput(rate), text);
    QCOMPARE(parseByteRate(text), std::optional<qint64>(rate));
}

void TestAdminPanels::rateFieldsShowUnitsAndApplyUnchanged()
{
    ControlPanel panel;
    panel.setConnected(true);
    panel.setStatus(fixtures::snapshot(fixtures::status(1000, {{0, "idle"}})));
    auto *perConnection = panel.findChild<QLineEdit *>(QStringLiteral("perConnectionEdit"));
    auto *global = panel.findChild<QLineEdit *>(QStringLiteral("globalRateEdit"));
    auto *perIp = panel.findChild<QLineEdit *>(QStringLiteral("perIpRateEdit"));
    QVERIFY(perConnection && global && perIp);
    QCOMPARE(perConnection->text(), QStringLiteral("1 MiB/s")); // fixtures: 1048576 per connection
    QCOMPARE(global->text(), QStringLiteral("unlimited"));
    QCOMPARE(perIp->text(), QStringLiteral("2 MiB/s")); // fixtures: 2097152 per client address
    QJsonObject sent;
    connect(&panel, &ControlPanel::commandRequested, this, [&sent](const QJsonObject &request) { sent = request; });
    QTest::keyClick(perConnection, Qt::Key_Return);
    QCOMPARE(sent.value(QStringLiteral("per_connection")).toInteger(), 1048576);
    QCOMPARE(sent.value(QStringLiteral("global")).toInteger(), 0);
    QCOMPARE(sent.value(QStringLiteral("per_ip")).toInteger(), 2097152);
}

void TestAdminPanels::perAddressRateIsReachedByKeyAndSaysWhatItLimits()
{
    ControlPanel panel;
    panel.setConnected(true);
    panel.setStatus(fixtures::snapshot(fixtures::status(1000, {{0, "idle"}})));
    auto *perIp = panel.findChild<QLineEdit *>(QStringLiteral("perIpRateEdit"));
    QVERIFY(perIp);
    QVERIFY2(perIp->toolTip().contains(
                 QLatin1String("all connections of one client address together, in every worker")),
             qPrintable(perIp->toolTip()));
    panel.show();
    QVERIFY(QTest::qWaitForWindowActive(&panel));
    QTest::keyClick(&panel, Qt::Key_A, Qt::AltModifier); // "Per client &address"
    QTRY_VERIFY(perIp->hasFocus());
    // Typing over it and pressing Return sends it like ferry-ctl rate-limit --per-ip.
    QJsonObject sent;
    connect(&panel, &ControlPanel::commandRequested, this, [&sent](const QJsonObject &request) { sent = request; });
    perIp->selectAll();
    QTest::keyClicks(perIp, QStringLiteral("768k"));
    QTest::keyClick(perIp, Qt::Key_Return);
    QCOMPARE(sent.value(QStringLiteral("cmd")).toString(), QStringLiteral("rate_limit"));
    QCOMPARE(sent.value(QStringLiteral("per_ip")).toInteger(), 768 * 1024);
    // A value it cannot read is refused in a sentence and nothing is sent.
    QString refusal;
    connect(&panel, &ControlPanel::inputRejected, this, [&refusal](const QString &message) { refusal = message; });
    sent = {};
    perIp->setText(QStringLiteral("12 parsecs"));
    QTest::keyClick(perIp, Qt::Key_Return);
    QVERIFY(sent.isEmpty());
    QVERIFY2(refusal.startsWith(QLatin1String("A rate limit is bytes per second")) && refusal.endsWith(u'.'),
             qPrintable(refusal));
}

void TestAdminPanels::contradictoryPoolLimitsAreSaidAndNotSent()
{
    ControlPanel panel;
    panel.setConnected(true);
    panel.setStatus(fixtures::snapshot(fixtures::status(1000, {{0, "idle"}})));
    auto *apply = panel.findChild<QPushButton *>(QStringLiteral("applyLimitsButton"));
    auto *problem = panel.findChild<QLabel *>(QStringLiteral("limitsProblemLabel"));
    QVERIFY(apply && problem);
    QJsonObject sent;
    connect(&panel, &ControlPanel::commandRequested, this, [&sent](const QJsonObject &request) { sent = request; });
    panel.maxSpareSpin()->setValue(4);
    panel.maxWorkersSpin()->setValue(2);
    panel.minSpareSpin()->setValue(3);
    QVERIFY(!apply->isEnabled());
    QVERIFY(!problem->isHidden());
    QVERIFY2(problem->text().startsWith(QLatin1String("Min spare (3) is more than max workers (2)")),
             qPrintable(problem->text()));
    panel.applyLimits(); // even if reached some other way
    QVERIFY(sent.isEmpty());
    panel.maxSpareSpin()->setValue(2);
    QVERIFY2(problem->text().startsWith(QLatin1String("Min spare (3) is more than max spare (2)")),
             qPrintable(problem->text()));
    panel.minSpareSpin()->setValue(1);
    QVERIFY(apply->isEnabled());
    QVERIFY(problem->isHidden());
    panel.applyLimits();
    QCOMPARE(sent.value(QStringLiteral("min_spare")).toInteger(), 1);
}

void TestAdminPanels::aStoppingServerOffersNoCommands()
{
    ControlPanel panel;
    panel.setConnected(true);
    QJsonObject json = fixtures::status(1000, {{0, "idle"}});
    QJsonObject server = json.value(QStringLiteral("server")).toObject();
    server.insert(QStringLiteral("state"), QStringLiteral("stopping"));
    json.insert(QStringLiteral("server"), server);
    panel.setStatus(fixtures::snapshot(json));
    for (const char *name : {"reloadButton", "applyLimitsButton", "disconnectButton", "applyRateButton"}) {
        auto *button = panel.findChild<QPushButton *>(QLatin1String(name));
        QVERIFY2(button && !button->isEnabled(), name);
    }
    panel.setStatus(fixtures::snapshot(fixtures::status(2000, {{0, "idle"}}))); // a server that takes commands
    for (const char *name : {"reloadButton", "applyLimitsButton", "disconnectButton"})
        QVERIFY2(panel.findChild<QPushButton *>(QLatin1String(name))->isEnabled(), name);
}

void TestAdminPanels::statusBarGetsAHeadlineNotTheWire()
{
    const QJsonObject ok{{"ok", true}, {"cmd", "pool"}, {"limits", QJsonObject{{"min_spare", 1}}}};
    QCOMPARE(AdminCommands::replyHeadline(ok), QStringLiteral("Pool limits applied"));
    const QJsonObject refused{
        {"ok", false}, {"cmd", "pool"},
        {"error", QJsonObject{{"code", "bad_argument"}, {"message", "\"min_spare\" (3) must not exceed \"max_workers\" (2)"}}}};
    QCOMPARE(AdminCommands::replyHeadline(refused),
             QStringLiteral("Refused: \"min_spare\" (3) must not exceed \"max_workers\" (2)"));
}

void TestAdminPanels::tlsIsWrittenAsElsewhere()
{
    // The audit log carries OpenSSL's name; the Activity tab writes it as the summary and Ferry Downloader do.
    QCOMPARE(ActivityRecord::fromJson(QJsonObject{{"tls", "TLSv1.3"}}).tls, QStringLiteral("TLS 1.3"));
    QCOMPARE(ActivityRecord::fromJson(QJsonObject{}).tls, QString()); // plaintext: nothing to say
}

void TestAdminPanels::chartsStopSayingNowWhenTheServerGoes()
{
    HistoryModel history;
    HistoryChart chart(&history, HistoryChart::Series::Throughput);
    history.setLive(true);
    history.addStatus(fixtures::snapshot(fixtures::status(1000, {{0, "sending"}}, 8, 4 * 1048576)));
    QCOMPARE(chart.cornerText(), QStringLiteral("now 4.00 MiB/s"));
    history.setLive(false);
    QCOMPARE(chart.cornerText(), QStringLiteral("not connected"));
    QCOMPARE(history.samples().size(), 1); // what led up to it stays on the chart
}

void TestAdminPanels::summaryReflowsInsteadOfClipping()
{
    SummaryPanel summary;
    summary.setStatus(fixtures::snapshot(fixtures::status(1000, {{0, "sending"}, {1, "idle"}})));
    summary.resize(945, 200); // a 1280 px window
    summary.show();
    QVERIFY(QTest::qWaitForWindowExposed(&summary));
    QCOMPARE(summary.columns(), 3);
    // An 800 px window with the control dock leaves about 560 px: two columns, every value whole.
    summary.resize(560, 400);
    QTRY_COMPARE(summary.columns(), 2);
    QApplication::processEvents(); // the layout settles
    for (const QLabel *value : summary.findChildren<QLabel *>()) {
        if (value->objectName().startsWith(QLatin1String("summary.")))
            QVERIFY2(value->width() >= value->sizeHint().width(),
                     qPrintable(QStringLiteral("%1 cut: \"%2\" needs %3 px, has %4")
                                    .arg(value->objectName(), value->text())
                                    .arg(value->sizeHint().width()).arg(value->width())));
    }
    summary.resize(400, 600);
    QTRY_COMPARE(summary.columns(), 1);
}

// An 800 px window: the buttons beside the filter were squeezed to "p worker graceful" and the
// filter to "Fi…". Those that fit are whole; the rest wait in the tool bar's » menu.
void TestAdminPanels::workerActionsKeepTheirWordsWhenNarrow()
{
    WorkerModel model;
    WorkersPanel panel(&model);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *filter = panel.findChild<QLineEdit *>(QStringLiteral("workerFilterEdit"));
    QVERIFY(filter);
    for (const int width : {945, 560, 470}) {
        panel.resize(width, 400);
        QApplication::processEvents(); // the layout settles
        QVERIFY2(filter->width() >= filter->fontMetrics().horizontalAdvance(QStringLiteral("Filter workers")),
                 qPrintable(QStringLiteral("at %1 px the filter has %2 px").arg(width).arg(filter->width())));
        int whole = 0;
        for (const QToolButton *button : panel.findChildren<QToolButton *>()) {
            const QAction *action = button->defaultAction();
            if (!button->isVisible() || !action || action->text().isEmpty())
                continue;
            QVERIFY2(button->width() >= button->sizeHint().width(),
                     qPrintable(QStringLiteral("at %1 px \"%2\" needs %3 px, has %4")
                                    .arg(width).arg(action->text()).arg(button->sizeHint().width())
                                    .arg(button->width())));
            ++whole;
        }
        if (width == 945)
            QCOMPARE(whole, 3); // room for all three
    }
}

void TestAdminPanels::noticesAClientThatReconnectsAtOnce()
{
    QCOMPARE(ReconnectWatch::hostOf(QStringLiteral("127.0.0.1:51234")), QStringLiteral("127.0.0.1"));
    QCOMPARE(ReconnectWatch::hostOf(QStringLiteral("[::1]:51234")), QStringLiteral("::1"));
    // fixtures: a transferring worker in slot s serves connection 17 + s from 127.0.0.1.
    const QList<Worker> before = {{2, "sending", 1, 10, 0, "f", 500}};
    const QList<Worker> after = {{5, "sending", 1, 10, 0, "f", 500}};
    ReconnectWatch watch;
    watch.closed(19, QStringLiteral("127.0.0.1:51234"), 1000);
    QVERIFY(!watch.check(fixtures::snapshot(fixtures::status(2000, before))));   // still the old one
    const auto note = watch.check(fixtures::snapshot(fixtures::status(3000, after))); // 22 from the same host
    QVERIFY(note);
    QVERIFY2(note->contains(QLatin1String("127.0.0.1")) && note->contains(QLatin1String("22")), qPrintable(*note));
    QVERIFY(!watch.check(fixtures::snapshot(fixtures::status(4000, after)))); // said once
    // Past the window it is a new client, not the same one back at once.
    watch.closed(19, QStringLiteral("127.0.0.1:51234"), 1000);
    QVERIFY(!watch.check(fixtures::snapshot(fixtures::status(1000 + ReconnectWatch::WindowMs + 1, after))));
}

QTEST_MAIN(TestAdminPanels)
#include "tst_adminpanels.moc"
