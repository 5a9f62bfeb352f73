// ferry-server's signals end to end (docs/OPERATIONS.md, Signals): SIGHUP reloads the config
// file under a running transfer, --grace bounds a shutdown, a second SIGTERM stops at once; and a
// deleted root stops the pool from respawning workers that could never serve.
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

#include <atomic>
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

} // namespace

class TestServerSignals : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
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
    const auto pool = [&] { return adminStatus(server.adminSocketPath()).value("pool").toObject(); };
    // Both workers past their start-up check of the root, or the survivor would find it gone too.
    QTRY_COMPARE_WITH_TIMEOUT(pool().value("idle").toInt(), 2, 10000);
    QVERIFY(QDir(tree.root()).removeRecursively());
    const qint64 victim = server.workerPids().first();
    QCOMPARE(::kill(pid_t(victim), SIGKILL), 0);

    const auto breaker = [&] { return pool().value("breaker").toObject(); };
    QTRY_COMPARE_WITH_TIMEOUT(breaker().value("state").toString(), QStringLiteral("open"), 10000);
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
