// Ferry Admin's Workers tab against a real ferry-server with a real download running (offscreen): what
// docs/ADMIN.md's status says about the download shows in the table, the summary and the scoreboard strip;
// killing its worker and closing its connection from the UI reach the server, and the window follows.
#include "adminquery.h"
#include "adminwindowfixture.h"
#include "commandlog.h"
#include "polling.h"
#include "scoreboardstrip.h"
#include "summarypanel.h"
#include "testclient.h"

#include <QAction>
#include <QJsonArray>
#include <QSet>
#include <QStandardPaths>
#include <QTableView>

#include <atomic>
#include <thread>

using namespace adminwindowtest;

namespace {

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

class TestAdminWorkers : public QObject, private AdminWindowFixture
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init() { open(); }
    void cleanup() { close(); }
    void tableShowsTheRunningDownload();
    void killWorkerFromTheUi();
    void disconnectFromTheUi();

private:
    int sourceRowSending(const QString &path) const;
};

void TestAdminWorkers::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // window state goes to a test location, not the user's
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
}

int TestAdminWorkers::sourceRowSending(const QString &path) const
{
    const WorkerModel *model = m_window->workerModel();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->state(row) == WorkerState::Sending && toQString(model->worker(row).path) == path)
            return row;
    }
    return -1;
}

void TestAdminWorkers::tableShowsTheRunningDownload()
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


void TestAdminWorkers::killWorkerFromTheUi()
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


void TestAdminWorkers::disconnectFromTheUi()
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

QTEST_MAIN(TestAdminWorkers)
#include "tst_adminworkers.moc"
