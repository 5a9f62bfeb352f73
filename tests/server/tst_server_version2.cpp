// Protocol version 2 against the real server (docs/PROTOCOL.md §10): which WELCOME each HELLO gets, that
// the first HELLO fixes a connection's version (also after the connection waited in the parent), and how
// version 2's messages are refused where they do not belong.
#include "adminrequest.h"
#include "polling.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QJsonObject>
#include <QTest>

using namespace ferrytest;
using proto::ErrorCode;

namespace {

// The ERROR a connection ends with, or a description of what came instead.
QString closingError(TestClient &client, ErrorCode *code)
{
    std::vector<proto::Message> frames;
    const Status closed = client.waitForClose(&frames, 10000);
    if (closed.outcome != Outcome::Closed && closed.outcome != Outcome::Reset)
        return QStringLiteral("the server did not close: ") + closed.toString();
    if (frames.size() != 1 || !std::holds_alternative<proto::Error>(frames.front()))
        return QStringLiteral("expected one ERROR before the close, got %1 frames").arg(frames.size());
    *code = std::get<proto::Error>(frames.front()).code;
    return {};
}

} // namespace

class TestServerVersion2 : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void version2HelloGetsCapabilityList();
    void version1HelloGetsVersion1Welcome();
    void versionSurvivesWaitingInTheParent();
    void helloNamingTheOtherVersionIsRefused();
    void version2MessagesAreRefusedInVersion1();
    void authWithUnknownTokenIsUnauthorizedAndCloses();

private:
    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
};

void TestServerVersion2::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    m_tree = std::make_unique<TestTree>();
    QVERIFY(m_tree->isValid());
    QVERIFY(!m_tree->addFile(QStringLiteral("small.bin"), 1000, 5).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree->root(), QStringList{"--workers", "2"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestServerVersion2::cleanupTestCase() { m_server.reset(); }

void TestServerVersion2::version2HelloGetsCapabilityList()
{
    TestClient client;
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    const Status welcomed = client.hello("v2", proto::ProtocolVersion2);
    QVERIFY2(welcomed.ok(), qPrintable(welcomed.toString()));
    QCOMPARE(client.welcome().version, proto::ProtocolVersion2);
    // Plaintext: the connection must not claim to be inside TLS.
    QVERIFY(proto::capability(client.welcome(), proto::CapabilityTls) == nullptr);
    QVERIFY(client.stat("small.bin").ok()); // version 1's requests are unchanged in version 2
}

void TestServerVersion2::version1HelloGetsVersion1Welcome()
{
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    QCOMPARE(client.welcome().version, proto::ProtocolVersion);
    QVERIFY(client.welcome().capabilities.empty());
    const GetResult got = client.get("small.bin");
    QVERIFY2(got.status.ok(), qPrintable(got.status.toString()));
}

// A quiet plaintext connection goes back to the parent and may be served by another worker next: its
// version must travel with it, so a repeated HELLO is still answered in version 2.
void TestServerVersion2::versionSurvivesWaitingInTheParent()
{
    TestClient client;
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    QVERIFY(client.hello("v2", proto::ProtocolVersion2).ok());
    QVERIFY(client.stat("small.bin").ok());
    const QString admin = m_server->adminSocketPath();
    const int parked = pollUntil([&] { return adminStatus(admin).value("pool").toObject().value("parked").toInt(); },
                                 [](int count) { return count >= 1; }, 10000);
    QCOMPARE(parked, 1);
    const Status again = client.hello("v2 again", proto::ProtocolVersion2);
    QVERIFY2(again.ok(), qPrintable(again.toString()));
    QCOMPARE(client.welcome().version, proto::ProtocolVersion2);
    QVERIFY(client.stat("small.bin").ok());
}

void TestServerVersion2::helloNamingTheOtherVersionIsRefused()
{
    TestClient client;
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    QVERIFY(client.hello("v2", proto::ProtocolVersion2).ok());
    QVERIFY(client.stat("small.bin").ok());
    QVERIFY(client.send(proto::Hello{proto::ProtocolVersion, "now version 1"}));
    ErrorCode code{};
    const QString problem = closingError(client, &code);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(code, ErrorCode::UnsupportedVersion);
}

void TestServerVersion2::version2MessagesAreRefusedInVersion1()
{
    for (const proto::Message &request : {proto::Message(proto::AuthRequest{"secret"}),
                                          proto::Message(proto::ManifestRequest{"small.bin"})}) {
        TestClient client;
        QVERIFY(client.open(m_server->host(), m_server->port()).ok());
        QVERIFY(client.send(request));
        ErrorCode code{};
        const QString problem = closingError(client, &code);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(code, ErrorCode::BadRequest);
    }
}

// Every wrong guess costs the client its connection (§10.2).
void TestServerVersion2::authWithUnknownTokenIsUnauthorizedAndCloses()
{
    TestClient client;
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    QVERIFY(client.hello("v2", proto::ProtocolVersion2).ok());
    QVERIFY(client.send(proto::AuthRequest{"not-a-token"}));
    ErrorCode code{};
    const QString problem = closingError(client, &code);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(code, ErrorCode::Unauthorized);
}

QTEST_GUILESS_MAIN(TestServerVersion2)
#include "tst_server_version2.moc"
