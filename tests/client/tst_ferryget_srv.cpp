// ferry-get with a bare domain against real DNS: dnsmasq serves _ferry._tcp.fleet.test SRV records on a
// loopback address of its own, FERRY_DNS_SERVER points the client at it, and the servers are used by
// priority (RFC 2782): the preferred one is down, so the download and `ls` come from the other; a token
// given for the domain holds for the servers its record names.
#include "closedport.h"
#include "dnsmasqprocess.h"
#include "serverprocess.h"
#include "testtree.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace ferrytest;

namespace {

using ferrytest::closedPort;

} // namespace

class TestFerryGetSrv : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        if (ServerProcess::defaultProgram().isEmpty())
            QSKIP("ferry-server is not built in this tree");
        if (const QString why = Dnsmasq::unavailable(); !why.isEmpty())
            QSKIP(qPrintable(why));
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

    // The token is given for the domain (--token, or a link naming it); the servers SRV names are that
    // domain's fleet, so each gets it, as each is held to the link's pin.
    void domainTokenHoldsForTheServersFound()
    {
        TestTree tree;
        const QString file = tree.addFile("pub/f.bin", 300000, 5);
        ServerProcess server(tree.root(), {"--anonymous", "none"});
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        const auto created = ServerProcess::runProgram(
            CTL_BIN, {"--admin-socket", server.adminSocketPath(), "token", "create", "--json", "--path", "pub"});
        QCOMPARE(created.exitCode, 0);
        const QString secret = QJsonDocument::fromJson(created.out).object().value("secret").toString();
        QVERIFY2(!secret.isEmpty(), created.out.constData());
        Dnsmasq dns;
        QVERIFY2(dns.start("fleet.test", {{closedPort(), 10, 0}, {server.port(), 20, 0}}), dns.log().constData());
        QTemporaryDir out;
        const auto run = ServerProcess::runProgram(
            GET_BIN, {"--no-progress", "--token", secret, "-o", out.path(), "ferry://fleet.test/pub/f.bin"}, 30000,
            {"FERRY_DNS_SERVER=" + dns.address()});
        QVERIFY2(run.exitCode == 0, (run.err + dns.log()).constData());
        QString why;
        QVERIFY2(sameContent(file, out.filePath("f.bin"), &why), qPrintable(why));
        const auto listed = ServerProcess::runProgram(GET_BIN, {"--token", secret, "ls", "ferry://fleet.test/pub/"},
                                                      30000, {"FERRY_DNS_SERVER=" + dns.address()});
        QVERIFY2(listed.exitCode == 0, listed.err.constData());
        QVERIFY2(listed.out.contains("f.bin"), listed.out.constData());
    }
};

QTEST_GUILESS_MAIN(TestFerryGetSrv)
#include "tst_ferryget_srv.moc"
