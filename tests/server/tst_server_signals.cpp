// ferry-server's signals end to end (docs/OPERATIONS.md, Signals): SIGTERM answers what waits and
// lets running transfers finish, SIGHUP reloads the config file under a running transfer, --grace
// bounds a shutdown, a second SIGTERM stops at once; and a deleted root stops the pool from
// respawning workers that could never serve.
#include "adminrequest.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <functional>
#include <signal.h>
#include <thread>

using namespace ferrytest;

namespace {

constexpr uint64_t MiB = 1024 * 1024;

// A download of a pattern file on its own thread; `started` once body bytes flow.
class Download
{
public:
    Download(const ServerProcess &server, std::string path, quint32 seed, uint64_t size)
        : m_thread([this, &server, path = std::move(path), seed, size] { run(server, path, seed, size); })
    {
    }
    ~Download() { join(); }
    void join()
    {
        if (m_thread.joinable())
            m_thread.join();
    }
    bool hasStarted() const { return m_started.load(); }
    bool hasFinished() const { return m_finished.load(); }
    // After join():
    bool intact() const { return m_status.ok() && m_intact; }
    const Status &status() const { return m_status; }
    uint64_t received() const { return m_received; }
    QString describe() const
    {
        return QStringLiteral("%1, %2 bytes, content %3").arg(m_status.toString()).arg(m_received).arg(m_intact);
    }

private:
    void run(const ServerProcess &server, const std::string &path, quint32 seed, uint64_t size)
    {
        TestClient client(30000);
        m_status = client.open(server.host(), server.port());
        if (m_status.ok()) {
            PatternVerifier verifier(seed);
            const GetResult r = client.get(path, 0, proto::ToEnd, [&](const char *data, size_t n) {
                m_started = true;
                return verifier.update(data, n);
            });
            m_status = r.status;
            m_received = r.received;
            m_intact = verifier.matches() && verifier.position() == size;
        }
        m_started = true;
        m_finished = true;
    }

    std::atomic<bool> m_started{false};
    std::atomic<bool> m_finished{false};
    Status m_status;
    uint64_t m_received = 0;
    bool m_intact = false;
    std::thread m_thread; // last: started once every other member exists
};

bool writeFile(const QString &path, const QByteArray &text)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(text) == text.size();
}

// Generations of the workers the admin socket lists, e.g. {2, 2, 2}.
QList<int> workerGenerations(const ServerProcess &server)
{
    QList<int> generations;
    for (const QJsonValue &w : adminStatus(server.adminSocketPath()).value("workers").toArray())
        generations << w.toObject().value("generation").toInt();
    return generations;
}

bool smallGetWorks(const ServerProcess &server)
{
    TestClient client(10000);
    return client.open(server.host(), server.port()).ok() && client.get("small.bin").data == patternBytes(2, 0, 4096);
}

// How a connection the server held at SIGTERM ended: empty if it was closed (within 10 s) after
// nothing but the frames `allowed` accepts, else what happened.
QString endedWith(TestClient &client, const std::function<bool(const std::vector<proto::Message> &)> &allowed)
{
    std::vector<proto::Message> frames;
    const Status end = client.waitForClose(&frames, 10000);
    if (end.outcome != Outcome::Closed && end.outcome != Outcome::Reset)
        return QStringLiteral("not closed: ") + end.toString();
    if (!allowed(frames))
        return QStringLiteral("closed after %1 frame(s), not the ones expected").arg(frames.size());
    return {};
}

bool isShuttingDown(const proto::Message &message)
{
    const auto *error = std::get_if<proto::Error>(&message);
    return error && error->code == proto::ErrorCode::ShuttingDown;
}

// A new connection after SIGTERM is refused by the kernel: the listening socket is closed. It is
// closed in the same turn of the server's loop that answered the waiting connections, so a connect
// that still lands in the backlog is retried (a bounded number of times), each once.
Status connectAfterShutdown(const ServerProcess &server)
{
    Status last;
    for (int attempt = 0; attempt < 50; ++attempt) {
        TestClient probe(2000);
        last = probe.connectTo(server.host(), server.port());
        if (!last.ok())
            return last;
        QTest::qWait(20);
    }
    return last;
}

} // namespace

class TestServerSignals : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void sigtermDrainsRunningTransfers();
    void sighupReloadsConfigUnderATransfer();
    void graceBoundsTheShutdown();
    void secondSignalStopsAtOnce();
    void deletedRootStopsRespawning();

private:
    TestTree m_tree;
};

void TestServerSignals::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    QVERIFY(!m_tree.addFile(QStringLiteral("long.bin"), 8 * MiB, 1).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("small.bin"), 4096, 2).isEmpty());
}

// SIGTERM while 8 rate-limited transfers hold all 8 workers, with a request queued for a worker, a
// connection that sent nothing yet and a kept-alive one parked with the parent (docs/OPERATIONS.md,
// Signals): the waiting two are answered SHUTTING_DOWN, the parked one is closed, a new connection
// is refused; all 8 transfers complete intact, the server exits 0, and neither a worker nor any
// other member of its process group is left.
void TestServerSignals::sigtermDrainsRunningTransfers()
{
    constexpr int Count = 8;
    ServerProcess server(m_tree.root(), {"--workers", "8", "--rate-limit", "4M", "--grace", "60s"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient parked(10000);
    QVERIFY(parked.open(server.host(), server.port()).ok());
    QVERIFY(parked.stat("small.bin").ok());

    std::vector<std::unique_ptr<Download>> transfers;
    for (int i = 0; i < Count; ++i)
        transfers.push_back(std::make_unique<Download>(server, "long.bin", 1, 8 * MiB)); // 2 s each
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(transfers.begin(), transfers.end(),
                                         [](const auto &t) { return t->hasStarted(); }),
                             20000);
    const QList<qint64> workers = server.workerPids();
    QCOMPARE(workers.size(), Count);
    QCOMPARE(ServerProcess::childPids(server.pid(), true), workers); // no zombies while running
    TestClient halfOpen(10000);
    QVERIFY(halfOpen.connectTo(server.host(), server.port()).ok());
    TestClient queued(10000);
    QVERIFY(queued.connectTo(server.host(), server.port()).ok());
    QVERIFY(queued.send(proto::Hello{proto::ProtocolVersion, "queued"}));
    QVERIFY(queued.send(proto::GetRequest{"small.bin", 0, proto::ToEnd}));
    // One status for both counts: two queries would compare two different moments.
    const auto onePendingOneParked = [](const QJsonObject &status) {
        const QJsonObject pool = status.value("pool").toObject();
        return pool.value("pending").toInt() == 1 && pool.value("parked").toInt() == 1;
    };
    QVERIFY(onePendingOneParked(awaitAdminStatus(server.adminSocketPath(), onePendingOneParked)));

    const qint64 serverPid = server.pid();
    const auto inFlight = std::count_if(transfers.begin(), transfers.end(),
                                        [](const auto &t) { return !t->hasFinished(); });
    QVERIFY(server.signal(SIGTERM));
    const auto onlyShuttingDown = [](const std::vector<proto::Message> &frames) {
        const bool welcomeFirst = !frames.empty() && std::holds_alternative<proto::Welcome>(frames.front());
        return frames.size() == (welcomeFirst ? 2u : 1u) && isShuttingDown(frames.back());
    };
    QString problem = endedWith(queued, onlyShuttingDown);
    QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("queued request: ") + problem));
    problem = endedWith(halfOpen, onlyShuttingDown);
    QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("connection without a request: ") + problem));
    problem = endedWith(parked, [](const std::vector<proto::Message> &frames) {
        return std::all_of(frames.begin(), frames.end(), isShuttingDown);
    });
    QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("parked connection: ") + problem));
    // At once, not when the server exits after the transfers.
    QVERIFY2(std::any_of(transfers.begin(), transfers.end(), [](const auto &t) { return !t->hasFinished(); }),
             "the waiting connections were let go only after every transfer had ended");
    const Status late = connectAfterShutdown(server);
    QVERIFY2(late.outcome == Outcome::Failed && late.message.find("connect") != std::string::npos,
             qPrintable(QStringLiteral("a connection after SIGTERM: ") + late.toString()));

    const int exitCode = server.waitForExit(60000);
    for (auto &t : transfers) {
        t->join();
    }
    for (const auto &t : transfers) {
        QVERIFY2(t->intact(), qPrintable(t->describe()));
    }
    // The test means something only if SIGTERM found transfers running (each takes ~2 s).
    QVERIFY2(inFlight > 0, "every transfer had finished before SIGTERM");
    QVERIFY2(exitCode == 0, qPrintable(QStringLiteral("exit code %1\n%2").arg(exitCode).arg(server.diagnostics())));
    for (qint64 pid : workers) {
        QVERIFY2(!ServerProcess::processExists(pid), qPrintable(QStringLiteral("worker %1 is still there").arg(pid)));
    }
    QVERIFY(ServerProcess::processGroupMembers(serverPid).isEmpty());
}

// SIGHUP with a changed config file: a new generation of 3 workers replaces the 2 old ones, the
// transfer running meanwhile completes intact, new connections are served throughout; a broken
// config on the next SIGHUP is logged and changes nothing.
void TestServerSignals::sighupReloadsConfigUnderATransfer()
{
    QTemporaryDir dir;
    const QString config = dir.filePath(QStringLiteral("ferry.conf"));
    QVERIFY(writeFile(config, "workers = 2\nrate-limit = 4M\n"));
    ServerProcess server(m_tree.root(), {"--config", config});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(2));
    const QList<qint64> oldWorkers = server.workerPids();
    Download running(server, "long.bin", 1, 8 * MiB); // 2 s at 4 MiB/s
    QTRY_VERIFY_WITH_TIMEOUT(running.hasStarted(), 10000);

    QVERIFY(writeFile(config, "workers = 3\nrate-limit = 4M\n"));
    QVERIFY(server.signal(SIGHUP));
    QTRY_COMPARE_WITH_TIMEOUT(workerGenerations(server).count(2), 3, 10000);
    QVERIFY(smallGetWorks(server));
    QVERIFY2(!running.hasFinished(), "the transfer ended before the reload was done: it proves nothing");
    running.join();
    QVERIFY2(running.intact(), qPrintable(running.describe()));
    // The old generation is gone, the new one is what serves.
    QTRY_COMPARE_WITH_TIMEOUT(workerGenerations(server), (QList<int>{2, 2, 2}), 10000);
    for (qint64 pid : oldWorkers)
        QTRY_VERIFY_WITH_TIMEOUT(!ServerProcess::processExists(pid), 10000);
    QVERIFY(server.waitForWorkerCount(3));

    QVERIFY(writeFile(config, "workers = many\n"));
    QVERIFY(server.signal(SIGHUP));
    QTRY_VERIFY_WITH_TIMEOUT(server.stderrText().contains("reload refused"), 10000);
    QCOMPARE(adminStatus(server.adminSocketPath()).value("server").toObject().value("generation").toInt(), 2);
    QVERIFY(smallGetWorks(server));
    QCOMPARE(server.workerPids().size(), 3);
    QCOMPARE(server.stop(), 0);
}

// SIGTERM with --grace 1s under a transfer that needs 8 s: the server waits out the grace period,
// then kills the worker and exits 0; the client sees its connection end short of the file.
void TestServerSignals::graceBoundsTheShutdown()
{
    ServerProcess server(m_tree.root(), {"--workers", "2", "--rate-limit", "1M", "--grace", "1s"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    Download running(server, "long.bin", 1, 8 * MiB);
    QTRY_VERIFY_WITH_TIMEOUT(running.hasStarted(), 10000);
    QElapsedTimer clock;
    clock.start();
    QVERIFY(server.signal(SIGTERM));
    const int exitCode = server.waitForExit(20000);
    const qint64 tookMs = clock.elapsed();
    running.join();
    QVERIFY2(exitCode == 0, qPrintable(QStringLiteral("exit code %1\n%2").arg(exitCode).arg(server.diagnostics())));
    QVERIFY2(tookMs >= 900 && tookMs < 5000, qPrintable(QStringLiteral("exited %1 ms after SIGTERM").arg(tookMs)));
    QVERIFY(server.stderrText().contains("grace period over"));
    QVERIFY2(!running.status().ok() && running.received() < 8 * MiB, qPrintable(running.describe()));
    QVERIFY(ServerProcess::processGroupMembers(server.pid()).isEmpty());
}

// A second SIGTERM while the first one waits for a transfer (grace 60 s): workers are killed at once.
void TestServerSignals::secondSignalStopsAtOnce()
{
    ServerProcess server(m_tree.root(), {"--workers", "2", "--rate-limit", "1M", "--grace", "60s"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    Download running(server, "long.bin", 1, 8 * MiB);
    QTRY_VERIFY_WITH_TIMEOUT(running.hasStarted(), 10000);
    QVERIFY(server.signal(SIGTERM));
    QTRY_VERIFY_WITH_TIMEOUT(server.stderrText().contains("shutting down"), 10000); // the first one is taken
    QElapsedTimer clock;
    clock.start();
    QVERIFY(server.signal(SIGTERM));
    const int exitCode = server.waitForExit(20000);
    const qint64 tookMs = clock.elapsed();
    running.join();
    QVERIFY2(exitCode == 0, qPrintable(QStringLiteral("exit code %1\n%2").arg(exitCode).arg(server.diagnostics())));
    QVERIFY2(tookMs < 3000, qPrintable(QStringLiteral("exited %1 ms after the second SIGTERM").arg(tookMs)));
    QVERIFY(server.stderrText().contains("stopping workers now"));
    QVERIFY2(!running.status().ok() && running.received() < 8 * MiB, qPrintable(running.describe()));
}

// The served directory deleted under a running server: a replacement worker finds it gone, exits
// with the fatal-configuration code (64), and the pool respawns nothing after it (breaker "open")
// instead of forking worker after worker; the parent stays up for the admin to see.
void TestServerSignals::deletedRootStopsRespawning()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("x.bin"), 1000, 3).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const auto idle = [](const QJsonObject &status) { return status.value("pool").toObject().value("idle").toInt(); };
    // Both workers past their start-up check of the root, or the survivor would find it gone too.
    QCOMPARE(idle(awaitAdminStatus(server.adminSocketPath(), [&](const QJsonObject &s) { return idle(s) == 2; })), 2);
    QVERIFY(QDir(tree.root()).removeRecursively());
    const qint64 victim = server.workerPids().first();
    QCOMPARE(::kill(pid_t(victim), SIGKILL), 0);

    const auto breakerState = [](const QJsonObject &status) {
        return status.value("pool").toObject().value("breaker").toObject().value("state").toString();
    };
    const auto isOpen = [&](const QJsonObject &s) { return breakerState(s) == QLatin1String("open"); };
    QCOMPARE(breakerState(awaitAdminStatus(server.adminSocketPath(), isOpen)), QStringLiteral("open"));
    QVERIFY(server.stderrText().contains("the root directory is gone"));
    // Absence of a storm can only be watched for a while: the crash-loop backoff would respawn after
    // 250 ms, 500 ms, ..., so 1.5 s would show several more forks.
    QTest::qWait(1500);
    QCOMPARE(server.stderrText().count("the root directory is gone"), 1);
    QCOMPARE(server.workerPids().size(), 1); // the survivor; nothing replaced the victim
    QVERIFY(server.isRunning());
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestServerSignals)
#include "tst_server_signals.moc"
