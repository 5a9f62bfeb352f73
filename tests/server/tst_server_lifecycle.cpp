// ferry-server's life cycle: a killed worker is replaced without harming other
// transfers, and no descriptor of the server survives an exec. (SIGTERM and the
// other signals: tst_server_signals.)
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include <atomic>
#include <unistd.h>
#include <signal.h>
#include <thread>

using namespace ferrytest;

namespace {

constexpr uint64_t FileSize = 4 * 1024 * 1024;
constexpr char RateLimit[] = "2097152"; // 2 MiB/s per connection: each file takes about 2 s

// One rate-limited download on its own thread, observable from the test thread.
class Transfer
{
public:
    Transfer(const ServerProcess &server, int index) : m_index(index)
    {
        m_thread = std::thread([this, &server] { run(server); });
    }
    ~Transfer() { join(); }
    void join()
    {
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    bool hasStarted() const { return m_started.load(); }
    bool hasFinished() const { return m_finished.load(); }
    quint16 clientPort() const { return m_port.load(); }
    // Valid after join().
    const Status &status() const { return m_status; }
    uint64_t received() const { return m_received; }
    bool intact() const { return m_status.ok() && m_intact; }
    QString describe() const
    {
        return QStringLiteral("transfer %1: %2, %3 of %4 bytes, content %5")
            .arg(m_index).arg(m_status.toString()).arg(m_received).arg(FileSize).arg(m_intact ? "ok" : "WRONG");
    }

private:
    void run(const ServerProcess &server)
    {
        TestClient client(30000);
        m_status = client.open(server.host(), server.port());
        if (!m_status.ok()) {
            m_started = true; // nothing to wait for
            return;
        }
        m_port = client.localPort();
        PatternVerifier verifier(quint32(100 + m_index));
        const GetResult r = client.get(QStringLiteral("t%1.bin").arg(m_index).toStdString(), 0, proto::ToEnd,
                                       [&](const char *data, size_t size) {
                                           m_started = true;
                                           return verifier.update(data, size);
                                       });
        m_started = true;
        m_status = r.status;
        m_received = r.received;
        m_intact = verifier.matches() && verifier.position() == FileSize;
        m_finished = true;
    }

    int m_index;
    std::thread m_thread;
    std::atomic<bool> m_started{false};
    std::atomic<bool> m_finished{false};
    std::atomic<quint16> m_port{0};
    Status m_status;
    uint64_t m_received = 0;
    bool m_intact = false;
};

std::unique_ptr<TestTree> transferTree(int count)
{
    auto tree = std::make_unique<TestTree>();
    for (int i = 0; i < count; ++i) {
        if (tree->addFile(QStringLiteral("t%1.bin").arg(i), FileSize, quint32(100 + i)).isEmpty()) {
            return nullptr;
        }
    }
    return tree;
}

// `ferry-ctl status --json` against the server's admin socket; an empty object if it did not answer
// within `timeoutMs` (a hung parent) or answered something else.
QJsonObject ctlStatus(const ServerProcess &server, int timeoutMs = 5000)
{
#ifdef CTL_BIN
    const ServerProcess::RunResult r = ServerProcess::runProgram(
        QStringLiteral(CTL_BIN), {"--admin-socket", server.adminSocketPath(), "status", "--json"}, timeoutMs);
    return r.exitCode == 0 ? QJsonDocument::fromJson(r.out).object() : QJsonObject();
#else
    Q_UNUSED(server);
    Q_UNUSED(timeoutMs);
    return {};
#endif
}

// The worker of `slot` in a status answer, or an empty object.
QJsonObject workerInSlot(const QJsonObject &status, int slot)
{
    for (const QJsonValue &w : status.value("workers").toArray())
        if (w.toObject().value("slot").toInt(-1) == slot)
            return w.toObject();
    return {};
}

} // namespace

class TestServerLifecycle : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void killedBusyWorkerIsReplaced();
    void everyDescriptorIsCloseOnExec();
    void workerDyingInsideItsSlotWriteLeavesTheParentServing();
};

void TestServerLifecycle::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty()) {
        QSKIP("ferry-server is not built in this tree");
    }
}

// kill -9 of the worker serving one of three rate-limited transfers: that client
// sees a clean EOF (no hang, no reset), the worker is reaped (no zombie) and
// replaced, and the other two transfers finish intact.
void TestServerLifecycle::killedBusyWorkerIsReplaced()
{
    const auto tree = transferTree(3);
    QVERIFY(tree);
    ServerProcess server(tree->root(), {"--workers", "4", "--rate-limit", RateLimit});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(4));

    std::vector<std::unique_ptr<Transfer>> transfers;
    for (int i = 0; i < 3; ++i) {
        transfers.push_back(std::make_unique<Transfer>(server, i));
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(transfers.begin(), transfers.end(),
                                         [](const auto &t) { return t->hasStarted(); }),
                             20000);
    const qint64 victim = server.pidServingClientPort(transfers[0]->clientPort());
    QVERIFY2(victim > 0, "no process holds the first transfer's connection");
    QVERIFY2(victim != server.pid(), "the parent, not a worker, holds a transfer's connection");
    QVERIFY(server.workerPids().contains(victim));
    // Read just before the kill: "the others finish intact" means something only if they were running.
    const bool othersInFlight = !transfers[1]->hasFinished() && !transfers[2]->hasFinished();
    QCOMPARE(::kill(pid_t(victim), SIGKILL), 0);

    for (auto &t : transfers) {
        t->join();
    }
    QVERIFY2(othersInFlight, "another transfer had ended before the kill (each takes about 2 s)");
    QVERIFY2(transfers[0]->status().outcome == Outcome::Closed, qPrintable(transfers[0]->describe()));
    QVERIFY(transfers[0]->received() < FileSize);
    QVERIFY2(transfers[1]->intact(), qPrintable(transfers[1]->describe()));
    QVERIFY2(transfers[2]->intact(), qPrintable(transfers[2]->describe()));

    QTRY_VERIFY_WITH_TIMEOUT(!ServerProcess::processExists(victim), 10000); // reaped, not a zombie
    QVERIFY(server.waitForWorkerCount(4));
    QVERIFY(!server.workerPids().contains(victim));
    QCOMPARE(ServerProcess::childPids(server.pid(), true).size(), 4); // no zombie children

    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    const GetResult r = client.get("t1.bin", 0, 1000);
    QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
    QVERIFY(r.data == patternBytes(101, 0, 1000));
    QCOMPARE(server.stop(), 0);
}

// Every descriptor the parent and the workers hold — listening socket, epoll,
// signalfd, socketpairs, connections received over SCM_RIGHTS, open files — is
// close-on-exec, checked while a transfer runs and a parked connection waits.
void TestServerLifecycle::everyDescriptorIsCloseOnExec()
{
    const auto tree = transferTree(1);
    QVERIFY(tree);
    ServerProcess server(tree->root(), {"--workers", "2", "--rate-limit", RateLimit});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient parked;
    QVERIFY(parked.open(server.host(), server.port()).ok());
    QVERIFY(parked.stat("t0.bin").ok());
    Transfer transfer(server, 0);
    QTRY_VERIFY_WITH_TIMEOUT(transfer.hasStarted(), 20000);

    // Descriptors this test process inherited without close-on-exec (from the
    // shell or ctest) pass on to the server under the same numbers: not its doing.
    QSet<QString> inherited;
    for (const QString &leak : ServerProcess::fdsWithoutCloseOnExec(QCoreApplication::applicationPid())) {
        inherited.insert(leak.section(u' ', 0, 0));
    }
    QList<qint64> processes = server.workerPids();
    processes.prepend(server.pid());
    for (qint64 pid : processes) {
        QStringList leaks = ServerProcess::fdsWithoutCloseOnExec(pid);
        leaks.removeIf([&inherited](const QString &leak) { return inherited.contains(leak.section(u' ', 0, 0)); });
        QVERIFY2(leaks.isEmpty(), qPrintable(QStringLiteral("pid %1: %2").arg(pid).arg(leaks.join(u", "))));
    }
    transfer.join();
    QVERIFY2(transfer.intact(), qPrintable(transfer.describe()));
    QCOMPARE(server.stop(), 0);
}

// The first worker of slot 0 dies by SIGKILL inside its scoreboard write section (the test-only hook
// FERRY_TEST_DIE_IN_SLOT_WRITE of server/worker/worker.cpp), leaving the slot's sequence counter odd. The
// parent, single-threaded, must neither hang reading that slot nor lose it: it keeps serving, `ferry-ctl
// status` keeps answering across pool ticks, and slot 0 is respawned and shown again.
void TestServerLifecycle::workerDyingInsideItsSlotWriteLeavesTheParentServing()
{
#ifndef CTL_BIN
    QSKIP("ferry-ctl is not built in this tree");
#else
    const auto tree = transferTree(1);
    QVERIFY(tree);
    qputenv("FERRY_TEST_DIE_IN_SLOT_WRITE", "0");
    ServerProcess server(tree->root(), {"--workers", "2"});
    const bool started = server.start();
    qunsetenv("FERRY_TEST_DIE_IN_SLOT_WRITE");
    QVERIFY2(started, qPrintable(server.diagnostics()));

    // Slot 0's first process is gone (by SIGKILL) and a successor serves in the slot.
    QJsonObject status;
    QDeadlineTimer deadline(15000);
    auto slot0Replaced = [&status] {
        const QJsonObject w = workerInSlot(status, 0);
        return w.value("pid").toInt() > 0 && w.value("last_exit").toString().contains("signal 9");
    };
    while (!slot0Replaced() && !deadline.hasExpired()) {
        status = ctlStatus(server);
        QVERIFY2(!status.isEmpty(), qPrintable("ferry-ctl status did not answer\n" + server.diagnostics()));
    }
    QVERIFY2(slot0Replaced(), qPrintable(QJsonDocument(status).toJson() + server.diagnostics()));

    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    const GetResult r = client.get("t0.bin", 0, 1000);
    QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
    QVERIFY(r.data == patternBytes(100, 0, 1000));
    // The pool's tick reads every slot once a second: two seconds of uptime later, ticks have run since the
    // death, and status still answers.
    auto uptime = [&status] { return status.value("server").toObject().value("uptime_s").toInteger(); };
    const qint64 replacedAt = uptime();
    deadline = QDeadlineTimer(15000);
    while (uptime() < replacedAt + 2 && !deadline.hasExpired()) {
        status = ctlStatus(server);
        QVERIFY2(!status.isEmpty(), qPrintable("ferry-ctl status did not answer\n" + server.diagnostics()));
    }
    QVERIFY2(uptime() >= replacedAt + 2, qPrintable(QJsonDocument(status).toJson()));
    QCOMPARE(workerInSlot(status, 0).value("state").toString(), QStringLiteral("idle"));
    QCOMPARE(server.stop(), 0);
#endif
}

QTEST_GUILESS_MAIN(TestServerLifecycle)
#include "tst_server_lifecycle.moc"
