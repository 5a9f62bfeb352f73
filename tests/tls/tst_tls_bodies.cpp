// TLS bodies are sent without blocking the worker: one worker, a TLS client that asks for a long body
// and then reads slowly or not at all, and the worker's other TLS clients are answered at once; a body
// to a client that stops reading is cut at the send timeout, as a plaintext one is.
#include "serverprocess.h"
#include "testtree.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace tlstest;
using ferrytest::TestTree;

class TestTlsBodies : public QObject
{
    Q_OBJECT
private slots:
    void slowReaderHoldsUpNoOtherClient();
    void stalledBodyIsCutAtTheSendTimeout();
    void addressLimitsHoldForInterleavedBodies();
    void byeIsAnsweredThenClosedWithCloseNotify();

private:
    // The one worker's slot as the admin plane shows it ({} if there is none).
    static QJsonObject onlyWorker(const ServerProcess &server);
};

QJsonObject TestTlsBodies::onlyWorker(const ServerProcess &server)
{
    const QJsonArray workers = adminStatus(server).value(QStringLiteral("workers")).toArray();
    return workers.size() == 1 ? workers.first().toObject() : QJsonObject();
}

void TestTlsBodies::slowReaderHoldsUpNoOtherClient()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("big.bin"), 96 * 1024 * 1024, 3).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("mid.bin"), 3 * 1024 * 1024 + 7, 5).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--send-timeout"), QStringLiteral("60s")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    // It asks for 96 MiB and reads nothing: the worker's socket to it is full within a few MiB.
    TlsRawClient slow(10000, 64 * 1024);
    QString why;
    QVERIFY2(slow.open(server.host(), server.port(), &why), qPrintable(why));
    QVERIFY(slow.send(proto::GetRequest{"big.bin", 0, proto::ToEnd}));
    auto bigUnderWay = [&] {
        const QJsonObject worker = onlyWorker(server);
        return worker.value(QStringLiteral("path")).toString() == QLatin1String("big.bin")
               && worker.value(QStringLiteral("bytes_sent")).toInteger() > 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(bigUnderWay(), 10000);

    // Another TLS client of the same worker: a blocking body sender would keep it waiting for the send
    // timeout (60 s). Each answer must come within the client's 5 s timeout, and all of them while the
    // stalled body is still under way (checked below).
    TlsRawClient other(5000);
    QVERIFY2(other.open(server.host(), server.port(), &why), qPrintable(why));
    proto::Message answer;
    QVERIFY(other.send(proto::StatRequest{"small.bin"}));
    QVERIFY2(other.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::StatReply>(answer));
    QCOMPARE(std::get<proto::StatReply>(answer).entry.size, uint64_t(10000));
    QVERIFY(other.send(proto::ListRequest{""}));
    QVERIFY2(other.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::ListPage>(answer));
    QCOMPARE(std::get<proto::ListPage>(answer).entries.size(), size_t(3));
    uint64_t received = 0;
    QVERIFY(other.send(proto::GetRequest{"small.bin", 0, proto::ToEnd}));
    QVERIFY2(other.readBody(&received, &why), qPrintable(why));
    QCOMPARE(received, uint64_t(10000));
    // A body long enough to be sent the interleaved way too, beside the stalled one.
    QVERIFY(other.send(proto::GetRequest{"mid.bin", 0, proto::ToEnd}));
    QVERIFY2(other.readBody(&received, &why), qPrintable(why));
    QCOMPARE(received, uint64_t(3 * 1024 * 1024 + 7));

    // The slow client was not cut to make room: its body is still under way, and it can read it all.
    QVERIFY(bigUnderWay());
    QVERIFY2(slow.readBody(&received, &why), qPrintable(why));
    QCOMPARE(received, uint64_t(96 * 1024 * 1024));
}

void TestTlsBodies::stalledBodyIsCutAtTheSendTimeout()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("big.bin"), 64 * 1024 * 1024, 6).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--send-timeout"), QStringLiteral("2s")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient stalled(10000, 64 * 1024);
    QString why;
    QVERIFY2(stalled.open(server.host(), server.port(), &why), qPrintable(why));
    QElapsedTimer sinceGet;
    QVERIFY(stalled.send(proto::GetRequest{"big.bin", 0, proto::ToEnd}));
    sinceGet.start();
    auto cut = [&] { return server.stderrText().contains("to 127.0.0.1"); };
    QTRY_VERIFY_WITH_TIMEOUT(cut(), 15000);
    const QByteArray log = server.stderrText();
    QVERIFY2(log.contains("GET 'big.bin' to 127.0.0.1") && log.contains("send timeout"), log.constData());
    // Not before the send timeout counted from the last byte the client took (which was after the GET).
    QVERIFY2(sinceGet.elapsed() >= 2000, qPrintable(QStringLiteral("%1 ms").arg(sinceGet.elapsed())));
    // The worker no longer shows the body, and it serves others.
    QTRY_COMPARE_WITH_TIMEOUT(onlyWorker(server).value(QStringLiteral("state")).toString(), QStringLiteral("idle"),
                              5000);
    TlsRawClient other(5000);
    QVERIFY2(other.open(server.host(), server.port(), &why), qPrintable(why));
    // The cut client finds its body ended early: what it reads now stops before 64 MiB.
    uint64_t received = 0;
    QVERIFY(!stalled.readBody(&received, &why));
    QVERIFY2(received < 64 * 1024 * 1024, qPrintable(why));
}

// The per-address limits hold for bodies the worker loop interleaves (TLS bodies over 64 KiB) as for the
// blocking ones: --rate-per-ip 2M paces two 1 MiB bodies to at least 0.9 s, and --max-bytes-per-ip counts
// what they sent, so a third GET that would go past it is refused before its first byte (FORBIDDEN: a
// version 1 client).
void TestTlsBodies::addressLimitsHoldForInterleavedBodies()
{
    TestTree tree;
    constexpr uint64_t Size = 1024 * 1024 + 7;
    QVERIFY(!tree.addFile(QStringLiteral("mid.bin"), Size, 5).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--rate-per-ip"), QStringLiteral("2M"),
                                               QStringLiteral("--max-bytes-per-ip"), QStringLiteral("2200000")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient client(10000);
    QString why;
    QVERIFY2(client.open(server.host(), server.port(), &why), qPrintable(why));
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < 2; ++i) {
        uint64_t received = 0;
        QVERIFY(client.send(proto::GetRequest{"mid.bin", 0, proto::ToEnd}));
        QVERIFY2(client.readBody(&received, &why), qPrintable(why));
        QCOMPARE(received, Size);
    }
    QVERIFY2(timer.elapsed() >= 900, qPrintable(QStringLiteral("%1 ms").arg(timer.elapsed())));
    proto::Message answer;
    QVERIFY(client.send(proto::GetRequest{"mid.bin", 0, proto::ToEnd}));
    QVERIFY2(client.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::Error>(answer));
    QCOMPARE(std::get<proto::Error>(answer).code, proto::ErrorCode::Forbidden);
    QVERIFY(client.send(proto::GetRequest{"mid.bin", 0, 2200000 - 2 * Size})); // what is left, exactly
    uint64_t received = 0;
    QVERIFY2(client.readBody(&received, &why), qPrintable(why));
    QCOMPARE(received, 2200000 - 2 * Size);
}

// BYE inside TLS (docs/PROTOCOL.md §10.6): the body before it in full, then the server ends the session
// cleanly (close_notify) and closes first.
void TestTlsBodies::byeIsAnsweredThenClosedWithCloseNotify()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("mid.bin"), 3 * 1024 * 1024 + 7, 5).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    for (const auto &[path, size] : {std::pair{"small.bin", 10000}, std::pair{"mid.bin", 3 * 1024 * 1024 + 7}}) {
        TlsRawClient client;
        client.setProtocolVersion(proto::ProtocolVersion2);
        QString why;
        QVERIFY2(client.open(server.host(), server.port(), &why), qPrintable(why));
        QVERIFY(client.send(proto::GetRequest{path, 0, proto::ToEnd}));
        QVERIFY(client.send(proto::Bye{}));
        uint64_t received = 0;
        QVERIFY2(client.readBody(&received, &why), qPrintable(why)); // the mid-sized one streams
        QCOMPARE(received, uint64_t(size));
        QVERIFY2(client.awaitCloseNotify(&why), qPrintable(why));
    }
}

QTEST_GUILESS_MAIN(TestTlsBodies)
#include "tst_tls_bodies.moc"
