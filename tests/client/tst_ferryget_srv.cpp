// ferry-get with a bare domain against real DNS: dnsmasq serves _ferry._tcp.fleet.test SRV records on a
// loopback address of its own, FERRY_DNS_SERVER points the client at it, and the servers are used by
// priority (RFC 2782): the preferred one is down, so the download and `ls` come from the other.
#include "serverprocess.h"
#include "testtree.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace ferrytest;

namespace {

quint16 closedPort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0; // released when it returns
}

struct Srv {
    quint16 port;
    int priority;
    int weight;
};

// dnsmasq answering only from its configuration (no upstream, no /etc/hosts) on 127.53.X.Y port 53,
// an address of its own so that tests running side by side do not meet.
class Dnsmasq
{
public:
    ~Dnsmasq()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(5000))
                m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    bool start(const QString &domain, const QList<Srv> &records)
    {
        for (int attempt = 0; attempt < 5; ++attempt) {
            m_address = QStringLiteral("127.53.%1.%2")
                            .arg(QRandomGenerator::global()->bounded(1, 255))
                            .arg(QRandomGenerator::global()->bounded(1, 255));
            QStringList args{"--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                             "--bind-interfaces", "--listen-address=" + m_address, "--port=53", "--pid-file=",
                             "--log-facility=-", "--log-queries"};
            for (const Srv &r : records)
                args << QStringLiteral("--srv-host=_ferry._tcp.%1,127.0.0.1,%2,%3,%4")
                            .arg(domain).arg(r.port).arg(r.priority).arg(r.weight);
            m_process.setProcessChannelMode(QProcess::MergedChannels);
            m_process.start(QStringLiteral("dnsmasq"), args);
            if (!m_process.waitForStarted(5000))
                return false;
            // It logs "started" once its sockets are bound, or exits when the address is taken.
            QElapsedTimer clock;
            clock.start();
            while (clock.elapsed() < 5000 && !m_log.contains("started, version")
                   && m_process.state() == QProcess::Running) {
                m_process.waitForReadyRead(100);
                m_log += m_process.readAll();
            }
            if (m_log.contains("started, version") && m_process.state() == QProcess::Running)
                return true;
            m_process.waitForFinished(2000);
            m_log += m_process.readAll();
        }
        return false;
    }

    QString address() const { return m_address; }
    // Whether dnsmasq logs `text` within `timeoutMs` (its log lines come a moment after its answers).
    bool logs(const QByteArray &text, int timeoutMs)
    {
        QElapsedTimer clock;
        clock.start();
        while (!log().contains(text) && clock.elapsed() < timeoutMs)
            m_process.waitForReadyRead(100);
        return m_log.contains(text);
    }
    QByteArray log()
    {
        m_log += m_process.readAll();
        return m_log;
    }

private:
    QProcess m_process;
    QString m_address;
    QByteArray m_log;
};

} // namespace

class TestFerryGetSrv : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        if (ServerProcess::defaultProgram().isEmpty())
            QSKIP("ferry-server is not built in this tree");
        if (QStandardPaths::findExecutable(QStringLiteral("dnsmasq")).isEmpty())
            QSKIP("dnsmasq is not installed (scripts/bootstrap installs dnsmasq-base)");
        if (::geteuid() != 0)
            QSKIP("dnsmasq needs root to listen on port 53, the only port Qt 6.4's QDnsLookup asks");
    }

    void higherPriorityServerDownUsesTheOther()
    {
        TestTree tree;
        const QString file = tree.addFile("f.bin", 300000, 3);
        ServerProcess server(tree.root());
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        Dnsmasq dns;
        // Priority 10 (preferred) names a port nothing listens on; priority 20 the server.
        QVERIFY2(dns.start("fleet.test", {{closedPort(), 10, 0}, {server.port(), 20, 0}}), dns.log().constData());
        QTemporaryDir out;
        const auto run = ServerProcess::runProgram(GET_BIN,
                                                   {"--no-progress", "-o", out.path(), "ferry://fleet.test/f.bin"},
                                                   30000, {"FERRY_DNS_SERVER=" + dns.address()});
        QVERIFY2(run.exitCode == 0, (run.err + dns.log()).constData());
        QString why;
        QVERIFY2(sameContent(file, out.filePath("f.bin"), &why), qPrintable(why));
        QVERIFY2(dns.logs("query[SRV] _ferry._tcp.fleet.test", 5000), dns.log().constData());
    }

    void lsUsesTheSrvRecordToo()
    {
        TestTree tree;
        tree.addFile("listed.bin", 1000, 4);
        ServerProcess server(tree.root());
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        Dnsmasq dns;
        QVERIFY2(dns.start("fleet.test", {{closedPort(), 10, 0}, {server.port(), 20, 0}}), dns.log().constData());
        const auto run = ServerProcess::runProgram(GET_BIN, {"ls", "ferry://fleet.test/"}, 30000,
                                                   {"FERRY_DNS_SERVER=" + dns.address()});
        QVERIFY2(run.exitCode == 0, (run.err + dns.log()).constData());
        QVERIFY2(run.out.contains("listed.bin"), run.out.constData());
    }
};

QTEST_GUILESS_MAIN(TestFerryGetSrv)
#include "tst_ferryget_srv.moc"
