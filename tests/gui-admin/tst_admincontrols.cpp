// Ferry Admin's controls against a real ferry-server (offscreen): pool limits, drain, resume, reload, rate
// limits and disconnect from the Control panel reach the server and its answers (and refusals) show; the
// window copies the status and remembers its geometry; a stopped server shows as "not running" and a
// restarted one is picked up without a click; the socket field switches servers.
#include "adminquery.h"
#include "adminwindowfixture.h"
#include "commandlog.h"
#include "controlpanel.h"
#include "summarypanel.h"

#include <QAction>
#include <QClipboard>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>

using namespace adminwindowtest;

class TestAdminControls : public QObject, private AdminWindowFixture
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init() { open(); }
    void cleanup() { close(); }
    void poolLimitsFromTheUi();
    void controlsShowTheServersAnswer();
    void copiesStatusAndRemembersTheWindow();
    void notRunningThenReconnectsByItself();
    void socketPathFieldSwitchesServers();
};

void TestAdminControls::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // window state goes to a test location, not the user's
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
}

void TestAdminControls::poolLimitsFromTheUi()
{
    ControlPanel *control = m_window->controlPanel();
    QTRY_COMPARE_WITH_TIMEOUT(control->maxWorkersSpin()->value(), 3, Timeout);
    control->maxSpareSpin()->setValue(2);
    control->maxWorkersSpin()->setValue(2);
    control->minSpareSpin()->setValue(1);
    control->maxRequestsSpin()->setValue(500);
    QTest::mouseClick(control->findChild<QPushButton *>(QStringLiteral("applyLimitsButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->commandLog()->lastText().startsWith(QStringLiteral("ok: pool limits")), Timeout);
    // The status bar has a few words; the wire request is in the tooltip (and the log).
    QCOMPARE(m_window->statusBar()->currentMessage(), QStringLiteral("Pool limits applied"));
    QVERIFY2(m_window->statusBar()->toolTip().startsWith(QLatin1String("pool ")),
             qPrintable(m_window->statusBar()->toolTip()));

    const QJsonObject limits = admintest::queryStatus(m_socket)
                                   .value(QStringLiteral("pool")).toObject()
                                   .value(QStringLiteral("limits")).toObject();
    QCOMPARE(limits.value(QStringLiteral("max_workers")).toInt(), 2);
    QCOMPARE(limits.value(QStringLiteral("max_spare")).toInt(), 2);
    QCOMPARE(limits.value(QStringLiteral("min_spare")).toInt(), 1);
    QCOMPARE(limits.value(QStringLiteral("max_requests")).toInt(), 500);
    // The pool converges (one surplus worker retired per second) and the window follows.
    QTRY_COMPARE_WITH_TIMEOUT(m_window->workerModel()->rowCount(), 2, Timeout);
    QVERIFY(m_window->lastStatus());
    QCOMPARE(m_window->lastStatus()->pool.limits.maxWorkers, int64_t(2));

    // A contradiction is caught before sending: said under the form, Apply is off, nothing reaches the server.
    control->minSpareSpin()->setValue(3);
    auto *apply = control->findChild<QPushButton *>(QStringLiteral("applyLimitsButton"));
    QVERIFY(!apply->isEnabled());
    QTest::mouseClick(apply, Qt::LeftButton);
    const QString problem = control->findChild<QLabel *>(QStringLiteral("limitsProblemLabel"))->text();
    QVERIFY2(problem.startsWith(QLatin1String("Min spare (3) is more than max spare (2)")), qPrintable(problem));
    QCOMPARE(admintest::queryStatus(m_socket).value(QStringLiteral("pool")).toObject()
                 .value(QStringLiteral("limits")).toObject().value(QStringLiteral("min_spare")).toInt(), 1);
}


void TestAdminControls::controlsShowTheServersAnswer()
{
    ControlPanel *control = m_window->controlPanel();
    CommandLog *log = m_window->commandLog();
    const auto click = [&](const char *name) {
        auto *button = control->findChild<QPushButton *>(QLatin1String(name));
        QVERIFY2(button && button->isEnabled(), name);
        QTest::mouseClick(button, Qt::LeftButton);
    };
    // Once connected, the per-address field shows the server's --rate-per-ip before anyone types.
    auto *perIp = control->findChild<QLineEdit *>(QStringLiteral("perIpRateEdit"));
    QVERIFY(perIp);
    QTRY_COMPARE_WITH_TIMEOUT(perIp->text(), QStringLiteral("4 MiB/s"), Timeout);
    click("drainButton");
    QTRY_COMPARE_WITH_TIMEOUT(log->lastText(), QStringLiteral("ok: server is draining"), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->summaryPanel()->valueText(QStringLiteral("state")), QStringLiteral("draining"),
                              Timeout);
    click("resumeButton");
    QTRY_COMPARE_WITH_TIMEOUT(log->lastText(), QStringLiteral("ok: server is accepting"), Timeout);
    {
        // Reload warns first that live limits go back to the file's values.
        ConfirmClicker clicker;
        click("reloadButton"); // returns once the warning is answered
        QVERIFY2(clicker.informativeText().contains(QLatin1String("go back to the file's values")),
                 qPrintable(clicker.informativeText()));
    }
    QTRY_COMPARE_WITH_TIMEOUT(log->lastText(), QStringLiteral("ok: reloaded, generation 2"), Timeout);

    const auto liveRate = [this] {
        return admintest::queryStatus(m_socket).value(QStringLiteral("pool")).toObject()
            .value(QStringLiteral("rate_limit")).toObject();
    };
    control->findChild<QLineEdit *>(QStringLiteral("perConnectionEdit"))->setText(QStringLiteral("512k"));
    control->findChild<QLineEdit *>(QStringLiteral("globalRateEdit"))->setText(QStringLiteral("3M"));
    perIp->setText(QStringLiteral("768k"));
    click("applyRateButton");
    QTRY_VERIFY_WITH_TIMEOUT(log->lastText().startsWith(QStringLiteral("ok: rate limit")), Timeout);
    QVERIFY2(log->lastText().endsWith(QStringLiteral("per client address 768.0 KiB/s")), qPrintable(log->lastText()));
    const QJsonObject rate = liveRate();
    QCOMPARE(rate.value(QStringLiteral("per_connection")).toInteger(), qint64(512 * 1024));
    QCOMPARE(rate.value(QStringLiteral("global")).toInteger(), qint64(3 * 1024 * 1024));
    QCOMPARE(rate.value(QStringLiteral("per_ip")).toInteger(), qint64(768 * 1024));

    // A per-address rate it cannot read is refused in a sentence; the server keeps what it had.
    perIp->setText(QStringLiteral("12 parsecs"));
    click("applyRateButton");
    QVERIFY2(log->lastText().contains(QStringLiteral("A rate limit is bytes per second")), qPrintable(log->lastText()));
    QCOMPARE(liveRate().value(QStringLiteral("per_ip")).toInteger(), qint64(768 * 1024));

    // The server's refusals land in the same log: no worker holds this connection id.
    control->findChild<QSpinBox *>(QStringLiteral("connectionSpin"))->setValue(999999);
    click("disconnectButton");
    QTRY_VERIFY_WITH_TIMEOUT(log->lastText().startsWith(QStringLiteral("not_found:")), Timeout);
    QVERIFY2(m_window->statusBar()->currentMessage().startsWith(QLatin1String("Refused: ")),
             qPrintable(m_window->statusBar()->currentMessage()));
}


void TestAdminControls::copiesStatusAndRemembersTheWindow()
{
    QTRY_VERIFY_WITH_TIMEOUT(m_window->lastStatus().has_value(), Timeout);
    m_window->findChild<QAction *>(QStringLiteral("copyStatusAction"))->trigger();
    const QJsonObject copied = QJsonDocument::fromJson(QGuiApplication::clipboard()->text().toUtf8()).object();
    QCOMPARE(copied.value(QStringLiteral("workers")).toArray().size(), 3);
    QCOMPARE(copied.value(QStringLiteral("server")).toObject().value(QStringLiteral("pid")).toInteger(),
             m_server->pid());

    m_window->resize(1000, 700);
    m_window->workersPanel()->view()->setColumnWidth(WorkerModel::FileColumn, 333);
    m_window->close();
    MainWindow second(m_socket);
    QCOMPARE(second.size(), QSize(1000, 700));
    QCOMPARE(second.workersPanel()->view()->columnWidth(WorkerModel::FileColumn), 333);
}


void TestAdminControls::notRunningThenReconnectsByItself()
{
    const qint64 firstPid = m_server->pid();
    QCOMPARE(m_server->stop(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->connection()->state(), AdminConnection::State::NotRunning, Timeout);
    QVERIFY2(m_window->bannerText().contains(QStringLiteral("not running")), qPrintable(m_window->bannerText()));
    QVERIFY(m_window->bannerText().contains(m_socket));
    QCOMPARE(m_window->workerModel()->rowCount(), 0);
    QCOMPARE(m_window->summaryPanel()->valueText(QStringLiteral("pid")), QStringLiteral("–"));

    QVERIFY2(startServer(), qPrintable(m_server->diagnostics()));
    QVERIFY(m_server->pid() != firstPid);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->connection()->isConnected(), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->summaryPanel()->valueText(QStringLiteral("pid")),
                              QString::number(m_server->pid()), Timeout);
    QVERIFY(m_window->bannerText().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(m_window->workerModel()->rowCount(), 3, Timeout);
}


void TestAdminControls::socketPathFieldSwitchesServers()
{
    auto *field = m_window->findChild<QLineEdit *>(QStringLiteral("socketPathEdit"));
    auto *connect = m_window->findChild<QPushButton *>(QStringLiteral("connectButton"));
    QVERIFY(field && connect);
    QCOMPARE(field->text(), m_socket);
    const QString elsewhere = m_tree->base() + QStringLiteral("/nobody/admin.sock");
    field->setText(elsewhere);
    QTest::mouseClick(connect, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->connection()->state(), AdminConnection::State::NotRunning, Timeout);
    QVERIFY(m_window->bannerText().contains(elsewhere));
    field->setText(m_socket);
    QTest::mouseClick(connect, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->connection()->isConnected(), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->workerModel()->rowCount(), 3, Timeout);
}

QTEST_MAIN(TestAdminControls)
#include "tst_admincontrols.moc"
