// ferry-server on a kernel that refuses what it asks for (restricted-ferry-server: a seccomp filter chosen
// by FERRY_TEST_REFUSE). A worker that cannot shed the parent's descriptors must not serve; a connection or
// a worker channel that epoll will not watch must be closed or stopped, never left unheard; and the parent
// goes on serving.
#include "polling.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <vector>

using namespace ferrytest;

namespace {

// epoll_ctl(EPOLL_CTL_ADD) fails for descriptors from this number on.
constexpr int WatchLimit = 40;
const QByteArray RefuseWatchingHigh = "epoll_add_from:" + QByteArray::number(WatchLimit);

// The restricted server, refusing `what` (see restricted_server.cpp).
std::unique_ptr<ServerProcess> restrictedServer(const QString &root, const QByteArray &what, const QStringList &args)
{
#ifdef RESTRICTED_SERVER_BIN
    qputenv("FERRY_TEST_REFUSE", what);
    auto server = std::make_unique<ServerProcess>(root, args);
    server->setProgram(QStringLiteral(RESTRICTED_SERVER_BIN));
    return server;
#else
    Q_UNUSED(root);
    Q_UNUSED(what);
    Q_UNUSED(args);
    return nullptr;
#endif
}

// How many of `pid`'s descriptor numbers below `limit` are in use.
int descriptorsBelow(qint64 pid, int limit)
{
    int count = 0;
    for (const QString &fd : QDir(QStringLiteral("/proc/%1/fd").arg(pid)).entryList(QDir::AllEntries | QDir::System))
        count += fd.toInt() < limit && fd != u'.' && fd != QStringLiteral("..");
    return count;
}

// Opens idle connections (no HELLO) until the parent holds every descriptor number below WatchLimit, so
// that the next descriptor it creates is one epoll refuses to watch.
bool fillDescriptorsBelowTheLimit(const ServerProcess &server, std::vector<std::unique_ptr<TestClient>> &held)
{
    const int missing = WatchLimit - descriptorsBelow(server.pid(), WatchLimit);
    for (int i = 0; i < missing; ++i) {
        held.push_back(std::make_unique<TestClient>(10000));
        if (!held.back()->connectTo(server.host(), server.port()).ok())
            return false;
    }
    return true;
}

} // namespace

class TestServerRestricted : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void workerThatCannotCloseInheritedDescriptorsRefusesToServe();
    void connectionThatCannotBeWatchedIsClosed();
    void workerWhoseChannelCannotBeWatchedIsStoppedAndReplaced();

private:
    std::unique_ptr<TestTree> m_tree;
};

void TestServerRestricted::initTestCase()
{
#ifndef RESTRICTED_SERVER_BIN
    QSKIP("restricted-ferry-server is not built in this tree");
#endif
    if (ServerProcess::defaultProgram().isEmpty()) {
        QSKIP("ferry-server is not built in this tree");
    }
    m_tree = std::make_unique<TestTree>();
    QVERIFY(!m_tree->addFile(QStringLiteral("small.bin"), 1000, 9).isEmpty());
}

void TestServerRestricted::cleanup() { qunsetenv("FERRY_TEST_REFUSE"); }

// With close_range refused, as an old kernel's ENOSYS would, a new worker cannot shed the listener and the
// other workers' channels it inherited: it must not serve with them. It exits with the fatal-configuration
// code after a log line naming the call, and the parent stops respawning.
void TestServerRestricted::workerThatCannotCloseInheritedDescriptorsRefusesToServe()
{
    const auto server = restrictedServer(m_tree->root(), "close_range", {"--workers", "2"});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    QTRY_VERIFY2_WITH_TIMEOUT(server->stderrText().contains("reported a fatal configuration error"),
                              qPrintable(server->diagnostics()), 15000);
    QVERIFY2(server->stderrText().contains("close_range() of the descriptors inherited from the parent"),
             qPrintable(server->diagnostics()));
    QVERIFY(server->waitForWorkerCount(0));
    QCOMPARE(server->stop(), 0);
}

// A connection epoll refuses to watch would never be heard from (its request never read, only its request
// timeout, 60 s here, would end it): the parent closes it at once, without a frame, and serves the others.
void TestServerRestricted::connectionThatCannotBeWatchedIsClosed()
{
    const auto server = restrictedServer(m_tree->root(), RefuseWatchingHigh,
                                         {"--workers", "1", "--request-timeout", "60s", "--max-per-ip", "0"});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    QVERIFY(server->waitForWorkerCount(1));
    std::vector<std::unique_ptr<TestClient>> held;
    QVERIFY(fillDescriptorsBelowTheLimit(*server, held));
    QTRY_COMPARE_WITH_TIMEOUT(descriptorsBelow(server->pid(), WatchLimit), WatchLimit, 10000);

    TestClient unwatched;
    QVERIFY(unwatched.connectTo(server->host(), server->port()).ok());
    std::vector<proto::Message> frames;
    QCOMPARE(unwatched.waitForClose(&frames, 20000).outcome, Outcome::Closed);
    QVERIFY(frames.empty());
    QVERIFY2(server->stderrText().contains("epoll_ctl() watching connection"), qPrintable(server->diagnostics()));

    held.front()->close(); // frees a descriptor number below the limit
    QTRY_VERIFY_WITH_TIMEOUT(descriptorsBelow(server->pid(), WatchLimit) < WatchLimit, 10000);
    TestClient client;
    QVERIFY(client.open(server->host(), server->port()).ok());
    QVERIFY(client.stat("small.bin").ok());
    server->kill();
}

// A worker whose channel epoll refuses to watch would hold its slot and never report itself idle: the
// parent kills it (it holds no connection yet), reaps it, counts it as a crash (so a lasting failure backs
// off), and once descriptors are free again a replacement serves.
void TestServerRestricted::workerWhoseChannelCannotBeWatchedIsStoppedAndReplaced()
{
    const auto server = restrictedServer(m_tree->root(), RefuseWatchingHigh,
                                         {"--workers", "1", "--request-timeout", "60s", "--max-per-ip", "0"});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    QVERIFY(server->waitForWorkerCount(1));
    std::vector<std::unique_ptr<TestClient>> held;
    QVERIFY(fillDescriptorsBelowTheLimit(*server, held));
    QTRY_COMPARE_WITH_TIMEOUT(descriptorsBelow(server->pid(), WatchLimit), WatchLimit, 10000);

    QVERIFY(server->signal(SIGHUP)); // a reload forks a new generation: its channel lands above the limit
    QTRY_VERIFY2_WITH_TIMEOUT(server->stderrText().contains("epoll_ctl() watching the channel of worker slot"),
                              qPrintable(server->diagnostics()), 15000);
    // The worker's own epoll of the channel may be refused first (its descriptors are the parent's at fork):
    // it then exits on its own ("failed") instead of being killed ("crashed"). Reaped and backed off either way.
    const auto ended = [&] {
        const QString text = server->stderrText();
        return text.contains("ended: crashed") || text.contains("ended: failed");
    };
    QTRY_VERIFY2_WITH_TIMEOUT(ended(), qPrintable(server->diagnostics()), 15000);

    held.clear(); // descriptors free again: the next attempt (after its backoff) is watched
    QTRY_VERIFY_WITH_TIMEOUT(descriptorsBelow(server->pid(), WatchLimit) < WatchLimit / 2, 10000);
    // A worker forked while the descriptors were still taken may yet die of it, and a connection already
    // dispatched to it dies with it (its channel's buffer goes with the process): ask until one serves.
    const auto statOnce = [&] {
        TestClient client(20000);
        Status status = client.open(server->host(), server->port());
        return status.ok() ? client.stat("small.bin") : status;
    };
    // A slot that died early many times backs off up to 30 s before its next fork.
    const Status stat = pollUntil(statOnce, [](const Status &s) { return s.ok(); }, 60000);
    QVERIFY2(stat.ok(), qPrintable(stat.toString() + "\n" + server->stderrText().right(2500)));
    QVERIFY(server->waitForWorkerCount(1));
    QCOMPARE(ServerProcess::childPids(server->pid(), true), server->workerPids()); // no zombie left
    QCOMPARE(server->stop(), 0);
}

QTEST_GUILESS_MAIN(TestServerRestricted)
#include "tst_server_restricted.moc"
