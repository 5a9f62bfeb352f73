// Where the parent puts TLS connections. A TLS session cannot leave the worker that handshook it, and
// the parent consolidates TLS clients as it does plaintext ones: on the most recently available worker
// per CPU, not spread over the whole pool, where each worker would wake for fewer ready connections per
// epoll_wait (docs/PERFORMANCE.md, "Full handshakes on both sides").
#include "serverprocess.h"
#include "testtree.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include <QTest>

#include <memory>
#include <sched.h>
#include <vector>

using namespace tlstest;
using ferrytest::TestTree;

class TestTlsDispatch : public QObject
{
    Q_OBJECT
private slots:
    void tlsClientsShareTheWorkerOfTheirCpu();
};

// The server is started on one CPU (the affinity a child inherits), so the parent counts one CPU and
// gives every client to one worker of the four; spreading would give each worker one.
void TestTlsDispatch::tlsClientsShareTheWorkerOfTheirCpu()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("f.bin"), 100, 1).isEmpty());
    cpu_set_t all, one;
    QCOMPARE(sched_getaffinity(0, sizeof all, &all), 0);
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &all)) {
            CPU_SET(cpu, &one);
            break;
        }
    QCOMPARE(sched_setaffinity(0, sizeof one, &one), 0);
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("4"),
                                               QStringLiteral("--idle-timeout"), QStringLiteral("30s")}));
    const bool started = server.start();
    QCOMPARE(sched_setaffinity(0, sizeof all, &all), 0); // the clients run anywhere
    QVERIFY2(started, qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(4));

    constexpr int Clients = 4;
    std::vector<std::unique_ptr<TlsRawClient>> clients;
    QString why;
    for (int i = 0; i < Clients; ++i) {
        clients.push_back(std::make_unique<TlsRawClient>(5000));
        QVERIFY2(clients.back()->open(server.host(), server.port(), &why), qPrintable(why)); // HELLO answered
    }
    int busiest = 0, total = 0;
    for (qint64 pid : server.workerPids()) {
        const int held = server.connectionSocketCount(pid);
        busiest = std::max(busiest, held);
        total += held;
    }
    QCOMPARE(total, Clients);
    QCOMPARE(busiest, Clients);
}

QTEST_GUILESS_MAIN(TestTlsDispatch)
#include "tst_tls_dispatch.moc"
