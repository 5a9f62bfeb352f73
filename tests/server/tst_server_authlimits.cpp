// AUTH with the real server (docs/PROTOCOL.md §10.2, §10.7), a token's limits and AUTH again on one
// connection: --rate holds across connections, --max-bytes answers QUOTA_EXCEEDED before the body,
// --max-connections counts a connection once wherever it is and whatever its AUTHs, and the audit log says
// what each AUTH was told. What a token grants: tst_server_authgrants.
#include "authsession.h"
#include "polling.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace ferrytest;
using proto::ErrorCode;

namespace {

// The results of the AUTH lines in the server's audit log (docs/OPERATIONS.md, "The audit log"), sorted:
// each worker writes its own lines. With `withLabel`, each is followed by the label of the token the line
// names ("OK first").
QStringList authResults(const ServerProcess &server, bool withLabel = false)
{
    QStringList results;
    QFile file(server.stateDir() + "/audit.log");
    if (!file.open(QIODevice::ReadOnly))
        return results;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QJsonObject record = QJsonDocument::fromJson(line).object();
        if (record.value("request").toString() == "AUTH")
            results << record.value("result").toString()
                           + (withLabel ? ' ' + record.value("token_label").toString() : QString());
    }
    results.sort();
    return results;
}

// How many connections hold the token labelled `label` (token list's "connections"), -1 for no such token.
int connectionsOf(const ServerProcess &server, const QString &label)
{
    const QJsonArray tokens = QJsonDocument::fromJson(ctl(server, {"token", "list", "--json"}).out).array();
    for (const QJsonValue &token : tokens)
        if (token.toObject().value("label").toString() == label)
            return token.toObject().value("connections").toInt();
    return -1;
}

} // namespace

class TestServerAuthLimits : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void tokenRateHoldsAcrossEightConnections();
    void byteQuotaIsEnforced();
    void connectionLimitCountsAcrossWorkers();
    void aConnectionCountsOnceWhateverItsAuths();

private:
    std::unique_ptr<TestTree> m_tree;
};

void TestServerAuthLimits::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    m_tree = std::make_unique<TestTree>();
    QVERIFY(m_tree->isValid());
    QVERIFY(!m_tree->addFile("pub/a.bin", 4096, 7).isEmpty());
    QVERIFY(!m_tree->addFile("pub/big.bin", 8 << 20, 9).isEmpty());
}

// A token with --rate 2M, used by 8 connections at once, each body in a worker of its own (a worker sends
// one body at a time): together they get 2 MiB/s within 10 %, measured over 3 s after the first second.
void TestServerAuthLimits::tokenRateHoldsAcrossEightConnections()
{
    ServerProcess server(m_tree->root(), {"--workers", "8", "--anonymous", "none"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString secret = createToken(server, {"--path", "pub", "--rate", "2M"});
    constexpr int Connections = 8;
    constexpr double Rate = 2.0 * 1024 * 1024;
    std::atomic<uint64_t> received{0};
    std::atomic<int> authed{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    struct Joiner { // on every way out, a failed check included: stop the clients and wait for them
        std::atomic<bool> &stop;
        std::vector<std::thread> &threads;
        void finish()
        {
            stop = true;
            for (std::thread &t : threads)
                if (t.joinable())
                    t.join();
        }
        ~Joiner() { finish(); }
    } joiner{stop, clients};
    for (int i = 0; i < Connections; ++i)
        clients.emplace_back([&] {
            TestClient client(20000);
            if (!authenticate(client, server, secret).ok())
                return;
            ++authed;
            while (authed.load() < Connections && !stop.load()) // every AUTH answered before any body starts
                std::this_thread::yield();
            client.get("pub/big.bin", 0, proto::ToEnd, [&](const char *, size_t n) {
                received += n;
                return !stop.load();
            });
        });
    QElapsedTimer clock;
    clock.start();
    QTRY_VERIFY_WITH_TIMEOUT(authed.load() == Connections && received.load() > 0, 10000);
    QVERIFY(server.workerPids().size() == Connections);
    const qint64 firstMs = clock.elapsed() + 1000;
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() >= firstMs, 5000);
    const uint64_t atStart = received.load();
    const qint64 startMs = clock.elapsed();
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() >= startMs + 3000, 10000);
    const double seconds = double(clock.elapsed() - startMs) / 1000.0;
    const double rate = double(received.load() - atStart) / seconds;
    joiner.finish(); // the bodies end before the server is asked to stop
    QVERIFY2(rate > Rate * 0.9 && rate < Rate * 1.1, qPrintable(QStringLiteral("%1 bytes/s").arg(rate, 0, 'f', 0)));
    QCOMPARE(server.stop(), 0);
}

// --max-bytes: a GET whose length would go past what is left of the allowance answers QUOTA_EXCEEDED
// before its first byte (the connection goes on); what is left can still be fetched, to the byte.
void TestServerAuthLimits::byteQuotaIsEnforced()
{
    ServerProcess server(m_tree->root(), {"--anonymous", "none"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString secret = createToken(server, {"--path", "pub", "--max-bytes", "5000"});
    TestClient client;
    QVERIFY(authenticate(client, server, secret).ok());
    QVERIFY(client.get("pub/a.bin").status.ok()); // 4096 of 5000
    const GetResult over = client.get("pub/a.bin"); // would need 8192
    QVERIFY2(over.status.is(ErrorCode::QuotaExceeded), qPrintable(over.status.toString()));
    QVERIFY(!over.body);
    QVERIFY(client.get("pub/a.bin", 0, 5000 - 4096).status.ok());
    QVERIFY(client.get("pub/a.bin", 0, 1).status.is(ErrorCode::QuotaExceeded));
    QCOMPARE(onlyToken(server).value("usage").toObject().value("bytes").toInteger(), qint64(5000));
    QVERIFY(client.stat("pub/a.bin").ok()); // only bytes are limited
    QCOMPARE(server.stop(), 0);
}

// --max-connections 2 with 2 workers: a third connection's AUTH answers BUSY and closes, wherever the two
// are (in a worker, parked in the parent); once one closes, the count drops and AUTH works again.
void TestServerAuthLimits::connectionLimitCountsAcrossWorkers()
{
    ServerProcess server(m_tree->root(), {"--workers", "2", "--anonymous", "none"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString secret = createToken(server, {"--path", "pub", "--max-connections", "2"});
    auto first = std::make_unique<TestClient>();
    TestClient second;
    QVERIFY(authenticate(*first, server, secret).ok());
    QVERIFY(authenticate(second, server, secret).ok());
    QVERIFY(first->get("pub/a.bin").status.ok());
    QCOMPARE(onlyToken(server).value("connections").toInt(), 2);
    TestClient third;
    const Status refused = authenticate(third, server, secret);
    QVERIFY2(refused.is(ErrorCode::Busy), qPrintable(refused.toString()));
    QVERIFY(closedOrReset(third.waitForClose(nullptr, 5000)));
    // The audit line says what the client was told: BUSY, not OK.
    QTRY_COMPARE(authResults(server), (QStringList{"BUSY", "OK", "OK"}));
    first.reset(); // closes
    const QJsonObject token = pollUntil(
        [&] { return onlyToken(server); }, [](const QJsonObject &t) { return t.value("connections").toInt() == 1; },
        10000);
    QCOMPARE(token.value("connections").toInt(), 1);
    TestClient fourth;
    QVERIFY(authenticate(fourth, server, secret).ok());
    QVERIFY(second.get("pub/a.bin").status.ok() && fourth.get("pub/a.bin").status.ok());
    QCOMPARE(server.stop(), 0);
}

// A token at its --max-connections of 1, held by this very connection: AUTH again with it is answered
// AUTH_REPLY, not BUSY (the connection is counted once); AUTH with another token moves the count, so the
// first token is free for another connection. The audit lines name the token each AUTH left in force.
void TestServerAuthLimits::aConnectionCountsOnceWhateverItsAuths()
{
    ServerProcess server(m_tree->root(), {"--workers", "1", "--anonymous", "none"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString first = createToken(server, {"--path", "pub", "--max-connections", "1", "--label", "first"});
    const QString second = createToken(server, {"--path", "pub", "--max-connections", "1", "--label", "second"});
    QVERIFY(!first.isEmpty() && !second.isEmpty());
    TestClient client;
    QVERIFY(authenticate(client, server, first).ok());
    const auto reAuth = [&](const QString &secret) {
        proto::Message answer;
        const bool sent = client.send(proto::AuthRequest{secret.toStdString()});
        return sent && client.readMessage(&answer).ok() && std::holds_alternative<proto::AuthReply>(answer);
    };
    QVERIFY(reAuth(first));
    QVERIFY(client.get("pub/a.bin").status.ok()); // still open, still under the token
    QCOMPARE(connectionsOf(server, "first"), 1);

    QVERIFY(reAuth(second));
    QCOMPARE(connectionsOf(server, "first"), 0);
    QCOMPARE(connectionsOf(server, "second"), 1);
    TestClient other;
    QVERIFY(authenticate(other, server, first).ok()); // the first token's one connection is free again
    QVERIFY(client.get("pub/a.bin").status.ok());

    QTRY_COMPARE(authResults(server, true), (QStringList{"OK first", "OK first", "OK first", "OK second"}));
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestServerAuthLimits)
#include "tst_server_authlimits.moc"
