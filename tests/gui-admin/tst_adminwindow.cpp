// Ferry Admin's real window against a real ferry-server (offscreen): what docs/ADMIN.md's status says about a
// running download shows in the table; killing a worker and changing pool limits from the UI reach the
// server; a stopped server shows as "not running" and a restarted one is picked up without a click.
#include "adminquery.h"
#include "commandlog.h"
#include "controlpanel.h"
#include "mainwindow.h"
#include "polling.h"
#include "scoreboardstrip.h"
#include "serverprocess.h"
#include "summarypanel.h"
#include "testclient.h"
#include "testtree.h"
#include "workerfilter.h"
#include "workermodel.h"
#include "workerspanel.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QJsonDocument>
#include <QLabel>
#include <QStatusBar>
#include <QLineEdit>
#include <QJsonArray>
#include <QMessageBox>
#include <QPushButton>
#include <QSet>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QTimer>

#include <atomic>
#include <memory>
#include <thread>

using namespace ferry::admingui;

using namespace ferrytest;

namespace {

constexpr int Timeout = 20000;
constexpr quint64 FileSize = 16 * 1024 * 1024;
// Slow enough that the transfer is still running whenever the test looks, fast enough to see bytes move.
constexpr int RateLimit = 256 * 1024;
// Above RateLimit, so it never slows the one download a test runs; the panel must show it on connect.
constexpr int RatePerIp = 4 * 1024 * 1024;

// A rate-limited download on a plain thread, aborted when the test is done with it.
class Download
{
public:
    Download(const QString &host, quint16 port, const std::string &path)
    {
        m_thread = std::thread([this, host, port, path] {
            TestClient client(60000);
            if (!client.open(host, port).ok())
                return;
            client.get(path, 0, proto::ToEnd, [this](const char *, size_t size) {
                m_received += size;
                return !m_stop.load();
            });
            m_finished = true;
        });
    }
    ~Download()
    {
        m_stop = true;
        m_thread.join();
    }
    quint64 received() const { return m_received.load(); }
    bool isFinished() const { return m_finished.load(); }

private:
    std::thread m_thread;
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_finished{false};
    std::atomic<quint64> m_received{0};
};

// Clicks the affirmative button of the confirmation box as soon as it is up.
class ConfirmClicker : public QObject
{
public:
    ConfirmClicker()
    {
        connect(&m_timer, &QTimer::timeout, this, [this] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box)
                return;
            if (auto *button = box->findChild<QPushButton *>(QStringLiteral("confirmButton"))) {
                m_text = box->text();
                m_informativeText = box->informativeText();
                m_timer.stop();
                button->click();
            }
        });
        m_timer.start(20);
    }
    QString text() const { return m_text; }
    QString informativeText() const { return m_informativeText; }

private:
    QTimer m_timer;
    QString m_text;
    QString m_informativeText;
};

// The pid of a worker not in `before`, once `gone` has left and the pool has `total` workers again; else 0.
qint64 newcomerPid(const QJsonObject &status, const QSet<qint64> &before, qint64 gone, int total)
{
    const QJsonArray workers = status.value(QStringLiteral("workers")).toArray();
    qint64 fresh = 0;
    for (const QJsonValue &w : workers) {
        const qint64 pid = w.toObject().value(QStringLiteral("pid")).toInteger();
        if (pid == gone)
            return 0;
        if (!before.contains(pid))
            fresh = pid;
    }
    return workers.size() == total ? fresh : 0;
}

} // namespace

class TestAdminWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void tableShowsTheRunningDownload();
    void killWorkerFromTheUi();
    void poolLimitsFromTheUi();
    void controlsShowTheServersAnswer();
    void disconnectFromTheUi();
    void copiesStatusAndRemembersTheWindow();
    void notRunningThenReconnectsByItself();
    void socketPathFieldSwitchesServers();

private:
    bool startServer();
    int sourceRowSending(const QString &path) const;

    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<MainWindow> m_window;
    // The real model under real traffic (rows merged, inserted, removed) checked on every change.
    std::unique_ptr<QAbstractItemModelTester> m_modelTester;
    std::unique_ptr<QAbstractItemModelTester> m_filterTester;
    QString m_socket;
};

void TestAdminWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // window state goes to a test location, not the user's
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
}

bool TestAdminWindow::startServer()
{
    m_server = std::make_unique<ServerProcess>(
        m_tree->root(), QStringList{"--workers", "3", "--admin-socket", m_socket, "--rate-limit",
                                    QString::number(RateLimit), "--rate-per-ip", QString::number(RatePerIp)});
    return m_server->start();
}

void TestAdminWindow::init()
{
    m_tree = std::make_unique<TestTree>();
    QVERIFY(m_tree->isValid());
    QVERIFY(!m_tree->addFile(QStringLiteral("media/big.bin"), FileSize, 7).isEmpty());
    m_socket = m_tree->base() + QStringLiteral("/admin/admin.sock");
    QVERIFY2(startServer(), qPrintable(m_server->diagnostics()));
    m_window = std::make_unique<MainWindow>(m_socket);
    m_modelTester = std::make_unique<QAbstractItemModelTester>(m_window->workerModel(),
                                                               QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_filterTester = std::make_unique<QAbstractItemModelTester>(m_window->workersPanel()->filter(),
                                                                QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_window->connection()->setSubscribeInterval(250);
    m_window->show();
    m_window->connection()->start();
    QTRY_VERIFY2_WITH_TIMEOUT(m_window->connection()->isConnected(), qPrintable(m_window->connection()->stateText()),
                              Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->workerModel()->rowCount(), 3, Timeout);
}

void TestAdminWindow::cleanup()
{
    m_filterTester.reset();
    m_modelTester.reset();
    m_window.reset();
    m_server.reset();
    m_tree.reset();
}

int TestAdminWindow::sourceRowSending(const QString &path) const
{
    const WorkerModel *model = m_window->workerModel();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->state(row) == WorkerState::Sending && toQString(model->worker(row).path) == path)
            return row;
    }
    return -1;
}

void TestAdminWindow::tableShowsTheRunningDownload()
{
    Download download(m_server->host(), m_server->port(), "media/big.bin");
    QTRY_VERIFY_WITH_TIMEOUT(sourceRowSending(QStringLiteral("media/big.bin")) >= 0, Timeout);
    const WorkerModel *model = m_window->workerModel();
    const int slot = model->worker(sourceRowSending(QStringLiteral("media/big.bin"))).slot;
    const auto bytesOfSlot = [&] {
        const int row = model->rowForSlot(slot);
        return row < 0 ? qint64(-1) : qint64(model->worker(row).bytesSent);
    };
    const qint64 first = bytesOfSlot();
    QTRY_VERIFY_WITH_TIMEOUT(bytesOfSlot() > first, Timeout);
    const int row = model->rowForSlot(slot);
    QCOMPARE(model->worker(row).bytesTotal, int64_t(FileSize));
    QVERIFY(toQString(model->worker(row).peer).startsWith(QStringLiteral("127.0.0.1:")));
    QTRY_VERIFY_WITH_TIMEOUT(model->speed(model->rowForSlot(slot)) > 0, Timeout);
    // Two snapshots of the same process give its CPU share over the interval.
    QTRY_VERIFY_WITH_TIMEOUT(model->cpuPercent(model->rowForSlot(slot)) >= 0, Timeout);
    QVERIFY(model->index(model->rowForSlot(slot), WorkerModel::CpuColumn).data().toString().endsWith(u'%'));
    QVERIFY(!download.isFinished());

    // What the user sees: the row in the table, busy in the summary, a W in the strip.
    QTableView *view = m_window->workersPanel()->view();
    m_window->workersPanel()->selectSlot(slot);
    const QModelIndex shown = view->currentIndex();
    QVERIFY(shown.isValid());
    QCOMPARE(shown.siblingAtColumn(WorkerModel::FileColumn).data().toString(), QStringLiteral("media/big.bin"));
    QCOMPARE(shown.siblingAtColumn(WorkerModel::StateColumn).data().toString(), QStringLiteral("sending"));
    QVERIFY(shown.siblingAtColumn(WorkerModel::ProgressColumn).data(WorkerModel::ProgressRole).toDouble() > 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->summaryPanel()->valueText(QStringLiteral("busy")), QStringLiteral("1"),
                              Timeout);
    ScoreboardStrip *strip = m_window->workersPanel()->strip();
    QCOMPARE(strip->letters().at(slot), QLatin1Char('W'));
    // Clicking a cell of the strip picks that worker in the table.
    view->clearSelection();
    QPoint cell(-1, -1);
    for (int x = 0; x < strip->width() && cell.x() < 0; x += 2) {
        if (strip->cellAt(QPoint(x, 4)) == slot)
            cell = QPoint(x, 4);
    }
    QVERIFY(cell.x() >= 0);
    QTest::mouseClick(strip, Qt::LeftButton, {}, cell);
    QCOMPARE(m_window->workersPanel()->selectedSlot(), slot);
    QVERIFY(!view->grab().isNull());
}

void TestAdminWindow::killWorkerFromTheUi()
{
    Download download(m_server->host(), m_server->port(), "media/big.bin");
    QTRY_VERIFY_WITH_TIMEOUT(sourceRowSending(QStringLiteral("media/big.bin")) >= 0, Timeout);
    const WorkerInfo victim = m_window->workerModel()->worker(sourceRowSending(QStringLiteral("media/big.bin")));
    QSet<qint64> before;
    for (int row = 0; row < m_window->workerModel()->rowCount(); ++row)
        before.insert(m_window->workerModel()->worker(row).pid);
    m_window->workersPanel()->selectSlot(int(victim.slot));
    QAction *killNow = m_window->workersPanel()->killNowAction();
    QVERIFY(killNow->isEnabled());
    {
        ConfirmClicker clicker;
        killNow->trigger(); // returns once the confirmation is answered
        QVERIFY2(clicker.text().contains(QString::number(victim.pid)), qPrintable(clicker.text()));
    }
    QTRY_VERIFY_WITH_TIMEOUT(m_window->commandLog()->lastText().startsWith(QStringLiteral("ok: worker pid")), Timeout);

    // The server, asked directly: the victim is gone, the pool is back to three, one of them new, and a
    // slot says why the victim went (a replacement may take another free slot, ADMIN.md §4.1).
    const qint64 fresh = pollUntil([&] { return newcomerPid(admintest::queryStatus(m_socket), before, victim.pid, 3); },
                                   [](qint64 pid) { return pid > 0; }, Timeout);
    QVERIFY(fresh > 0);
    QVERIFY(!ServerProcess::processExists(victim.pid) || ServerProcess::processState(victim.pid) == 'Z');
    const QJsonObject status = admintest::queryStatus(m_socket);
    QString lastExit;
    for (const QJsonValue &w : status.value(QStringLiteral("workers")).toArray())
        lastExit += w.toObject().value(QStringLiteral("last_exit")).toString();
    QVERIFY2(lastExit.contains(QStringLiteral("killed by admin")), qPrintable(lastExit));
    // And the window shows the newcomer.
    const auto shown = [&] {
        const WorkerModel *model = m_window->workerModel();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->worker(row).pid == fresh)
                return true;
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(shown(), Timeout);
}

void TestAdminWindow::poolLimitsFromTheUi()
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

void TestAdminWindow::controlsShowTheServersAnswer()
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

void TestAdminWindow::disconnectFromTheUi()
{
    Download download(m_server->host(), m_server->port(), "media/big.bin");
    QTRY_VERIFY_WITH_TIMEOUT(sourceRowSending(QStringLiteral("media/big.bin")) >= 0, Timeout);
    const WorkerInfo worker = m_window->workerModel()->worker(sourceRowSending(QStringLiteral("media/big.bin")));
    m_window->workersPanel()->selectSlot(int(worker.slot));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->workersPanel()->disconnectAction()->isEnabled(), Timeout);
    m_window->workersPanel()->disconnectAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->commandLog()->lastText().startsWith(QStringLiteral("ok: connection")), Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(download.isFinished(), Timeout); // the client saw its transfer end early
    QVERIFY(download.received() < FileSize);
    // The worker survived and went back to idle.
    WorkerModel *workers = m_window->workerModel();
    QTRY_VERIFY_WITH_TIMEOUT(workers->rowForSlot(int(worker.slot)) >= 0
                                 && workers->state(workers->rowForSlot(int(worker.slot))) == WorkerState::Idle,
                             Timeout);
    QCOMPARE(m_window->workerModel()->worker(m_window->workerModel()->rowForSlot(int(worker.slot))).pid, worker.pid);
}

void TestAdminWindow::copiesStatusAndRemembersTheWindow()
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

void TestAdminWindow::notRunningThenReconnectsByItself()
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

void TestAdminWindow::socketPathFieldSwitchesServers()
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

QTEST_MAIN(TestAdminWindow)
#include "tst_adminwindow.moc"
