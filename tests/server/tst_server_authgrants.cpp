// AUTH with the real server (docs/PROTOCOL.md §10.2, §10.7), what a token grants and for how long: its
// subtree and nothing beyond, by any path trick; unknown, revoked and expired tokens are refused and the
// connection closed; revocation and expiry cut a running GET within a second; the token follows a connection
// that is parked and served by another worker; usage is counted; status names the token; version 1 clients
// keep working where anonymous access allows. Its limits and AUTH again: tst_server_authlimits.
#include "adminrequest.h"
#include "authsession.h"
#include "pathtricks.h"
#include "polling.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace ferrytest;
using proto::ErrorCode;

namespace {

using Op = PathOp;

const QByteArray Secret = "FERRY-PRIVATE-CONTENT";

} // namespace

class TestServerAuthGrants : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void welcomeOffersAuth_data();
    void welcomeOffersAuth();
    void tokenGrantsItsSubtreeOnly_data();
    void tokenGrantsItsSubtreeOnly();
    void badTokensAreRefusedAndClosed();
    void revocationCutsARunningGet_data();
    void revocationCutsARunningGet();
    void tokenFollowsAParkedConnectionAndUsageIsCounted();
    void version1ClientWorksBesideTokens();
    void statusShowsTheTokenLabel();

private:
    std::unique_ptr<TestTree> m_tree;
};

void TestServerAuthGrants::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    m_tree = std::make_unique<TestTree>();
    TestTree &t = *m_tree;
    QVERIFY(t.isValid());
    QVERIFY(!t.addFile("pub/a.bin", 4096, 7).isEmpty());
    QVERIFY(!t.addFile("pub/big.bin", 8 << 20, 9).isEmpty());
    QVERIFY(!t.addFile("pub/sub/b.bin", 1000, 8).isEmpty());
    QVERIFY(!t.addTextFile("private/secret.txt", Secret + '\n').isEmpty());
    QVERIFY(!t.addTextFile("public/look-alike.txt", Secret + '\n').isEmpty());
    QVERIFY(!t.addTextFile("top.txt", Secret + '\n').isEmpty());
    QVERIFY(!t.addSymlink("pub/link-in", "a.bin").isEmpty());
    QVERIFY(!t.addSymlink("pub/link-private", "../private/secret.txt").isEmpty());
    QVERIFY(!t.addSymlink("pub/link-up", "..").isEmpty());
    QVERIFY(!t.addSymlink("pub/link-private-dir", "../private").isEmpty());
}

void TestServerAuthGrants::welcomeOffersAuth_data()
{
    QTest::addColumn<QString>("anonymous");
    QTest::addColumn<QString>("offered"); // "" = no auth capability
    QTest::newRow("none") << "none" << "required";
    QTest::newRow("subtrees") << "pub" << "optional";
    QTest::newRow("all") << "all" << "";
}

// From the parent (the first HELLO) and from a worker (a HELLO after a request) alike.
void TestServerAuthGrants::welcomeOffersAuth()
{
    QFETCH(QString, anonymous);
    QFETCH(QString, offered);
    ServerProcess server(m_tree->root(), {"--workers", "1", "--anonymous", anonymous});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.connectTo(server.host(), server.port()).ok());
    for (int round = 0; round < 2; ++round) {
        QVERIFY(client.hello("ferry-tests/2", proto::ProtocolVersion2).ok());
        QString seen;
        for (const proto::Capability &c : client.welcome().capabilities)
            if (c.name == proto::CapabilityAuth)
                seen = QString::fromStdString(c.value);
        QCOMPARE(seen, offered);
        client.stat("pub/a.bin"); // the next HELLO goes to the worker
    }
    QCOMPARE(server.stop(), 0);
}

void TestServerAuthGrants::tokenGrantsItsSubtreeOnly_data()
{
    addPathTrickColumns();
    addSharedPathTrickRows({.scope = "pub", .readable = "pub/a.bin", .lookAlike = "public/look-alike.txt",
                            .beside = "top.txt", .outside = "private/secret.txt"});
    const int get = int(Op::Get), list = int(Op::List);
    const int forbidden = int(ErrorCode::Forbidden);
    QTest::newRow("file") << get << QByteArray("pub/a.bin") << 0;
    QTest::newRow("deeper") << get << QByteArray("pub/sub/b.bin") << 0;
    QTest::newRow("LIST the scope") << list << QByteArray("pub") << 0;
    QTest::newRow("link inside") << get << QByteArray("pub/link-in") << 0;
    QTest::newRow("/./ inside") << get << QByteArray("pub/./a.bin") << forbidden;
    QTest::newRow("link to a sibling") << get << QByteArray("pub/link-private") << forbidden;
    QTest::newRow("through a link to the root") << get << QByteArray("pub/link-up/private/secret.txt") << forbidden;
    QTest::newRow("LIST a link to a sibling dir") << list << QByteArray("pub/link-private-dir") << forbidden;
    // As without a token: a file's name spelled as a folder's names nothing (the kernel's ENOTDIR).
    const int notFound = int(ErrorCode::NotFound);
    QTest::newRow("file/ (a file spelled as a folder)") << int(Op::Stat) << QByteArray("pub/a.bin/") << notFound;
    QTest::newRow("GET file/") << get << QByteArray("pub/sub/b.bin/") << notFound;
    QTest::newRow("LIST a folder/ in the scope") << list << QByteArray("pub/sub/") << 0;
}

// `--anonymous none` and a token for pub: the traversal table under that token.
void TestServerAuthGrants::tokenGrantsItsSubtreeOnly()
{
    QFETCH(int, op);
    QFETCH(QByteArray, path);
    QFETCH(int, code);
    ServerProcess server(m_tree->root(), {"--workers", "1", "--anonymous", "none"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QString why;
    const QString secret = createToken(server, {"--path", "pub", "--label", "table"}, &why);
    QVERIFY2(!secret.isEmpty(), qPrintable(why));
    TestClient client(20000);
    client.setRecording(true);
    proto::AuthReply reply;
    const Status authed = authenticate(client, server, secret, &reply);
    QVERIFY2(authed.ok(), qPrintable(authed.toString()));
    QCOMPARE(reply.scope, std::string("pub"));
    QCOMPARE(reply.label, std::string("table"));
    QVERIFY(QString::fromStdString(reply.tokenId).startsWith("tk-"));
    const Status s = runPathOp(client, Op(op), path);
    if (code == 0)
        QVERIFY2(s.ok(), qPrintable(s.toString()));
    else
        QVERIFY2(s.is(ErrorCode(code)), qPrintable(s.toString()));
    QVERIFY(client.get("pub/a.bin").status.ok()); // the connection and its token go on
    QVERIFY2(!client.transcript().contains(Secret), "content outside the scope reached the client");
    QVERIFY(!client.transcript().contains(secret.toLatin1()));
    QVERIFY(!server.stderrText().contains(secret.toLatin1()));
    QCOMPARE(server.stop(), 0);
}

void TestServerAuthGrants::badTokensAreRefusedAndClosed()
{
    ServerProcess server(m_tree->root(), {"--anonymous", "none"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString good = createToken(server, {"--path", "pub"});
    const QString shortLived = createToken(server, {"--path", "pub", "--expires", "1s"});
    const QString revoked = createToken(server, {"--path", "pub"});
    QVERIFY(!good.isEmpty() && !shortLived.isEmpty() && !revoked.isEmpty());
    const QJsonArray tokens = QJsonDocument::fromJson(ctl(server, {"token", "list", "--json"}).out).array();
    QCOMPARE(ctl(server, {"token", "revoke", tokens.at(2).toObject().value("id").toString()}).exitCode, 0);
    QString unknown = good;
    unknown[0] = unknown[0] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');

    const QList<QPair<QString, ErrorCode>> cases{{unknown, ErrorCode::Unauthorized},
                                                 {"not-a-token", ErrorCode::Unauthorized},
                                                 {"", ErrorCode::Unauthorized},
                                                 {revoked, ErrorCode::Unauthorized}};
    for (const auto &[secret, code] : cases) {
        TestClient client;
        const Status s = authenticate(client, server, secret);
        QVERIFY2(s.is(code), qPrintable(s.toString()));
        QVERIFY(closedOrReset(client.waitForClose(nullptr, 5000)));
    }
    const qint64 expiresMs = QJsonDocument::fromJson(ctl(server, {"token", "list", "--json"}).out)
                                 .array().at(1).toObject().value("expires_ms").toInteger();
    QTRY_VERIFY_WITH_TIMEOUT(QDateTime::currentMSecsSinceEpoch() > expiresMs, 5000);
    TestClient late;
    const Status s = authenticate(late, server, shortLived);
    QVERIFY2(s.is(ErrorCode::TokenExpired), qPrintable(s.toString()));
    QVERIFY(closedOrReset(late.waitForClose(nullptr, 5000)));
    TestClient fine;
    QVERIFY(authenticate(fine, server, good).ok());
    QVERIFY(fine.get("pub/a.bin").status.ok());
    QCOMPARE(server.stop(), 0);
}

void TestServerAuthGrants::revocationCutsARunningGet_data()
{
    QTest::addColumn<bool>("byExpiry");
    QTest::newRow("revoked") << false;
    QTest::newRow("expired") << true;
}

// An 8 MiB GET at 1 MiB/s under a token: revoking the token (or its expiry) ends it within a second,
// with a close inside the body; the same connection is refused afterwards.
void TestServerAuthGrants::revocationCutsARunningGet()
{
    QFETCH(bool, byExpiry);
    ServerProcess server(m_tree->root(), {"--anonymous", "none", "--rate-limit", "1M"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString secret = createToken(server, QStringList{"--path", "pub"} + (byExpiry ? QStringList{"--expires", "2s"}
                                                                                         : QStringList{}));
    QVERIFY(!secret.isEmpty());
    const QJsonObject token = onlyToken(server);
    TestClient client(20000);
    QVERIFY(authenticate(client, server, secret).ok());
    QElapsedTimer sinceEnd;
    bool ended = false; // revoked, or expired by the wall clock
    const qint64 expiresMs = token.value("expires_ms").toInteger();
    const GetResult r = client.get("pub/big.bin", 0, proto::ToEnd, [&](const char *, size_t) {
        if (!ended && !byExpiry && client.socketDescriptor() >= 0) {
            ended = ctl(server, {"token", "revoke", token.value("id").toString()}).exitCode == 0;
            sinceEnd.start();
        }
        if (!ended && byExpiry && QDateTime::currentMSecsSinceEpoch() >= expiresMs) {
            ended = true;
            sinceEnd.start();
        }
        return true;
    });
    QVERIFY(ended);
    QVERIFY2(closedOrReset(r.status), qPrintable(r.status.toString()));
    QVERIFY2(r.received < (8u << 20), "the whole file arrived");
    QVERIFY2(sinceEnd.elapsed() < 1000, qPrintable(QString::number(sinceEnd.elapsed())));
    QCOMPARE(server.stop(), 0);
}

// With one worker, a connection that goes quiet is parked in the parent and dispatched again: it keeps
// its token. Usage counts the bytes and requests of both GETs and names the client.
void TestServerAuthGrants::tokenFollowsAParkedConnectionAndUsageIsCounted()
{
    ServerProcess server(m_tree->root(), {"--workers", "1", "--anonymous", "none"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString secret = createToken(server, {"--path", "pub", "--label", "usage"});
    TestClient client;
    QVERIFY(authenticate(client, server, secret).ok());
    QVERIFY(client.get("pub/a.bin").status.ok());
    const QJsonObject pool = pollUntil([&] { return adminStatus(server.adminSocketPath()).value("pool").toObject(); },
                                       [](const QJsonObject &p) { return p.value("parked").toInt() == 1; }, 10000);
    QCOMPARE(pool.value("parked").toInt(), 1);
    const GetResult again = client.get("pub/sub/b.bin");
    QVERIFY2(again.status.ok(), qPrintable(again.status.toString()));
    QVERIFY(client.stat("top.txt").is(ErrorCode::Unauthorized)); // still the token's grant, not more
    const QJsonObject token = onlyToken(server);
    const QJsonObject usage = token.value("usage").toObject();
    QCOMPARE(usage.value("bytes").toInteger(), 4096 + 1000);
    QCOMPARE(usage.value("requests").toInteger(), 3);
    QCOMPARE(usage.value("last_peer").toString(), QStringLiteral("127.0.0.1:%1").arg(client.localPort()));
    QVERIFY(usage.value("last_used_ms").toInteger() > 0);
    QCOMPARE(server.stop(), 0);
    ServerProcess again2(m_tree->root(), {"--workers", "1", "--anonymous", "none", "--state-dir", server.stateDir()});
    QVERIFY2(again2.start(), qPrintable(again2.diagnostics())); // written at shutdown, read at start
    QCOMPARE(onlyToken(again2).value("usage").toObject().value("bytes").toInteger(), 4096 + 1000);
    QCOMPARE(again2.stop(), 0);
}

// A version 1 client against a server that keeps tokens: it reads what anonymous access allows.
void TestServerAuthGrants::version1ClientWorksBesideTokens()
{
    for (const QString &anonymous : {QStringLiteral("all"), QStringLiteral("pub")}) {
        ServerProcess server(m_tree->root(), {"--anonymous", anonymous});
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        QVERIFY(!createToken(server, {"--path", "private"}).isEmpty());
        TestClient client;
        QVERIFY(client.open(server.host(), server.port()).ok());
        QCOMPARE(client.welcome().version, uint16_t(1));
        QVERIFY(client.welcome().capabilities.empty());
        const GetResult r = client.get("pub/a.bin");
        QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
        QCOMPARE(r.data, patternBytes(7, 0, 4096));
        const Status other = client.stat("private/secret.txt");
        QVERIFY2(anonymous == "all" ? other.ok() : other.is(ErrorCode::Unauthorized), qPrintable(other.toString()));
        QCOMPARE(server.stop(), 0);
    }
}

// While a GET under a token runs, the scoreboard shows its id and label (never the secret), and
// ferry-ctl status names it.
void TestServerAuthGrants::statusShowsTheTokenLabel()
{
    ServerProcess server(m_tree->root(), {"--anonymous", "none", "--rate-limit", "2M"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString secret = createToken(server, {"--path", "pub", "--label", "keynote team"});
    const QString id = onlyToken(server).value("id").toString();
    TestClient client(20000);
    QVERIFY(authenticate(client, server, secret).ok());
    QJsonObject shown;
    QByteArray table, statusJson;
    const GetResult r = client.get("pub/big.bin", 0, 2 << 20, [&](const char *, size_t) {
        if (!shown.isEmpty())
            return true;
        for (const QJsonValue &w : adminStatus(server.adminSocketPath()).value("workers").toArray())
            if (w.toObject().value("path").toString() == QLatin1String("pub/big.bin"))
                shown = w.toObject();
        table = ctl(server, {"status"}).out;
        statusJson = ctl(server, {"status", "--json"}).out;
        return true;
    });
    QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
    QCOMPARE(shown.value("token").toString(), id);
    QCOMPARE(shown.value("token_label").toString(), QStringLiteral("keynote team"));
    QVERIFY2(table.contains("[token keynote team]"), table.constData());
    QVERIFY(!statusJson.contains(secret.toLatin1()) && !table.contains(secret.toLatin1()));
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestServerAuthGrants)
#include "tst_server_authgrants.moc"
