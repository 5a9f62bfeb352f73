// The rules of docs/PROTOCOL.md that two honest implementers could read differently, each settled in the
// spec and checked here against the real server: half-close, which timeout cuts what, where BUSY comes,
// a repeated HELLO, the largest request frame, and what a file changing under a transfer does.
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTest>

#include <unistd.h>

using namespace ferrytest;
using proto::ErrorCode;

namespace {

constexpr uint64_t RateLimit = 1024 * 1024; // bytes/s per connection, for the servers that pace
constexpr uint64_t PacedSize = 3 * 1024 * 1024;

QByteArray frameBytes(const proto::Message &message)
{
    const std::vector<uint8_t> frame = proto::encode(message);
    return QByteArray(reinterpret_cast<const char *>(frame.data()), qsizetype(frame.size()));
}

// A STAT frame whose payload is `payloadSize` bytes (a 1-byte path, then zeros: TrailingBytes if decoded).
QByteArray statFrameOfSize(uint32_t payloadSize)
{
    QByteArray frame = QByteArray::fromHex("f7030000");
    for (int shift = 24; shift >= 0; shift -= 8)
        frame += char((payloadSize >> shift) & 0xff);
    frame += QByteArray::fromHex("000161");
    frame += QByteArray(int(payloadSize) - 3, '\0');
    return frame;
}

QString describe(const std::vector<proto::Message> &frames)
{
    QStringList names;
    for (const proto::Message &m : frames)
        names << QString::fromLatin1(proto::messageTypeName(proto::typeOf(m)));
    return names.join(u", ");
}

} // namespace

class TestServerRules : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void halfCloseAfterRequestsStillGetsEveryAnswer();
    void halfReceivedLaterRequestIsCutByTheIdleTimeout();
    void halfReceivedFirstRequestGetsTimeout();
    void repeatedHelloNamingAnotherVersionIsRefused();
    void largestRequestIsAcceptedAndLargerFramesRefused();
    void busyComesAfterWelcomeOrBeforeAnythingForAnAddress();
    void fileGrowingOrRewrittenDuringTheBodyEndsWithFileChanged_data();
    void fileGrowingOrRewrittenDuringTheBodyEndsWithFileChanged();
    void paddingAfterAShrinkHonoursTheRateLimit();

private:
    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server; // idle timeout 1 s, request timeout 30 s
    std::unique_ptr<ServerProcess> m_paced;  // rate limit 1 MiB/s per connection
};

void TestServerRules::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty()) {
        QSKIP("ferry-server is not built in this tree");
    }
    m_tree = std::make_unique<TestTree>();
    TestTree &t = *m_tree;
    QVERIFY(t.isValid());
    QVERIFY(!t.addFile(QStringLiteral("small.bin"), 1000, 5).isEmpty());
    QVERIFY(!t.addFile(QStringLiteral("big.bin"), 200'000, 6).isEmpty());
    for (const char *name : {"grows.bin", "rewritten.bin", "shrinks.bin"})
        QVERIFY(!t.addFile(QString::fromLatin1(name), PacedSize, 7).isEmpty());
    m_server = std::make_unique<ServerProcess>(
        t.root(), QStringList{"--workers", "2", "--idle-timeout", "1s", "--request-timeout", "30s"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_paced = std::make_unique<ServerProcess>(
        t.root(), QStringList{"--workers", "2", "--rate-limit", QString::number(RateLimit)});
    QVERIFY2(m_paced->start(), qPrintable(m_paced->diagnostics()));
}

void TestServerRules::cleanupTestCase()
{
    if (m_server) {
        QCOMPARE(m_server->stop(), 0);
    }
    if (m_paced) {
        QCOMPARE(m_paced->stop(), 0);
    }
}

// §3.4: a client may half-close after its last request; every complete request is answered, in order,
// then the server closes. A GET under way when the client half-closes is sent to its end.
void TestServerRules::halfCloseAfterRequestsStillGetsEveryAnswer()
{
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    QVERIFY(client.sendRaw(frameBytes(proto::StatRequest{"small.bin"}) + frameBytes(proto::StatRequest{""})
                           + frameBytes(proto::GetRequest{"big.bin", 0, proto::ToEnd})));
    client.shutdownWrite();
    proto::Message first, second;
    QVERIFY(client.readMessage(&first).ok());
    QVERIFY(client.readMessage(&second).ok());
    QCOMPARE(std::get<proto::StatReply>(first).entry.name, std::string("small.bin"));
    QCOMPARE(std::get<proto::StatReply>(second).entry.kind, proto::EntryKind::Directory);
    uint64_t received = 0;
    const GetResult body = client.readGetReply([&](const char *, size_t size) {
        received += size;
        return true;
    });
    QVERIFY2(body.status.ok(), qPrintable(body.status.toString()));
    QCOMPARE(received, uint64_t(200'000));
    std::vector<proto::Message> after;
    QCOMPARE(client.waitForClose(&after, 10000).outcome, Outcome::Closed);
    QVERIFY2(after.empty(), qPrintable(describe(after)));
}

// §3.2: between requests, and while a later request is only partly received, the idle timeout applies
// (counted from the end of the last answer) and the server closes without a frame. The request timeout
// (30 s here) covers only the first request.
void TestServerRules::halfReceivedLaterRequestIsCutByTheIdleTimeout()
{
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    QVERIFY(client.stat("small.bin").ok());
    QVERIFY(client.sendRaw(frameBytes(proto::StatRequest{"small.bin"}).left(5)));
    // Closed within 25 s: by the idle timeout, as the 30 s request timeout would not have yet.
    std::vector<proto::Message> frames;
    const Status end = client.waitForClose(&frames, 25000);
    QCOMPARE(end.outcome, Outcome::Closed);
    QVERIFY2(frames.empty(), qPrintable(describe(frames)));
}

// §3.1: a connection that has not completed its first request within the request timeout gets ERROR
// TIMEOUT, also when part of it has arrived.
void TestServerRules::halfReceivedFirstRequestGetsTimeout()
{
    ServerProcess server(m_tree->root(), {"--workers", "1", "--request-timeout", "1s"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    QVERIFY(client.sendRaw(frameBytes(proto::StatRequest{"small.bin"}).left(5)));
    std::vector<proto::Message> frames;
    QCOMPARE(client.waitForClose(&frames, 20000).outcome, Outcome::Closed);
    QCOMPARE(frames.size(), size_t(1));
    const auto *error = std::get_if<proto::Error>(&frames.front());
    QVERIFY2(error && error->code == ErrorCode::Timeout, qPrintable(describe(frames)));
    QCOMPARE(server.stop(), 0);
}

// §3.2: a repeated HELLO naming version 1 is answered with WELCOME again; one naming another version gets
// ERROR UNSUPPORTED_VERSION and the server closes, as it would for a first HELLO.
void TestServerRules::repeatedHelloNamingAnotherVersionIsRefused()
{
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    QVERIFY(client.hello("again").ok());
    QVERIFY(client.stat("small.bin").ok());
    QVERIFY(client.send(proto::Hello{2, "from the future"}));
    std::vector<proto::Message> frames;
    QCOMPARE(client.waitForClose(&frames, 10000).outcome, Outcome::Closed);
    QCOMPARE(frames.size(), size_t(1));
    const auto *error = std::get_if<proto::Error>(&frames.front());
    QVERIFY2(error && error->code == ErrorCode::UnsupportedVersion, qPrintable(describe(frames)));
}

// §8: every version 1 request fits in 65,543 bytes of payload (a HELLO whose agent is 65,535 bytes long),
// and the server accepts it; ferry-server refuses request payloads over 65,599 bytes with BAD_REQUEST.
void TestServerRules::largestRequestIsAcceptedAndLargerFramesRefused()
{
    TestClient client;
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    const Status welcomed = client.hello(std::string(65535, 'a'));
    QVERIFY2(welcomed.ok(), qPrintable(welcomed.toString()));
    QVERIFY(client.stat("small.bin").ok());

    QVERIFY(client.sendRaw(statFrameOfSize(65599))); // within the limit: decoded, and refused for its content
    proto::Message answer;
    QVERIFY(client.readMessage(&answer).ok());
    const auto *trailing = std::get_if<proto::Error>(&answer);
    QVERIFY(trailing && trailing->code == ErrorCode::BadRequest);
    QVERIFY2(trailing->message.find("TrailingBytes") != std::string::npos, trailing->message.c_str());

    TestClient over;
    QVERIFY(over.open(m_server->host(), m_server->port()).ok());
    QVERIFY(over.sendRaw(statFrameOfSize(65600)));
    std::vector<proto::Message> frames;
    QCOMPARE(over.waitForClose(&frames, 10000).outcome, Outcome::Closed);
    QCOMPARE(frames.size(), size_t(1));
    const auto *tooLarge = std::get_if<proto::Error>(&frames.front());
    QVERIFY2(tooLarge && tooLarge->code == ErrorCode::BadRequest, qPrintable(describe(frames)));
    QVERIFY2(tooLarge->message.find("FrameTooLarge") != std::string::npos, tooLarge->message.c_str());
}

// §3.3: a server that has read HELLO answers it with WELCOME before anything else, so BUSY for a full pool
// comes after WELCOME, in place of the answer to a request. A connection over the per-address limit gets
// BUSY (retry after 1 s) at once, before WELCOME, without the server reading anything from it.
void TestServerRules::busyComesAfterWelcomeOrBeforeAnythingForAnAddress()
{
    ServerProcess server(m_tree->root(), {"--workers", "1", "--pool-max-workers", "1", "--max-spare", "1",
                                          "--max-pending", "0", "--max-per-ip", "2", "--rate-limit", "100k"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient holder; // keeps the only worker busy with a paced body (30 s at 100 KiB/s)
    QVERIFY(holder.open(server.host(), server.port()).ok());
    QVERIFY(holder.send(proto::GetRequest{"grows.bin", 0, proto::ToEnd}));
    proto::Message body;
    QVERIFY(holder.readMessage(&body).ok());
    QVERIFY(std::holds_alternative<proto::Body>(body));

    TestClient refused;
    QVERIFY(refused.connectTo(server.host(), server.port()).ok());
    QVERIFY(refused.sendRaw(frameBytes(proto::Hello{proto::ProtocolVersion, "t"})
                            + frameBytes(proto::StatRequest{"small.bin"})));
    std::vector<proto::Message> frames;
    QCOMPARE(refused.waitForClose(&frames, 10000).outcome, Outcome::Closed);
    QVERIFY2(frames.size() == 2 && std::holds_alternative<proto::Welcome>(frames[0])
                 && std::holds_alternative<proto::Busy>(frames[1]),
             qPrintable(describe(frames)));

    TestClient second; // the address's second connection: allowed, it waits for its HELLO
    QVERIFY(second.connectTo(server.host(), server.port()).ok());
    TestClient third;
    QVERIFY(third.connectTo(server.host(), server.port()).ok());
    frames.clear();
    QCOMPARE(third.waitForClose(&frames, 10000).outcome, Outcome::Closed);
    QCOMPARE(frames.size(), size_t(1));
    const auto *busy = std::get_if<proto::Busy>(&frames.front());
    QVERIFY2(busy, qPrintable(describe(frames)));
    QCOMPARE(busy->retryAfterMs, 1000u);
    server.kill();
}

void TestServerRules::fileGrowingOrRewrittenDuringTheBodyEndsWithFileChanged_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("append"); // else: overwrite bytes in place, size unchanged
    QTest::newRow("grows") << QStringLiteral("grows.bin") << true;
    QTest::newRow("rewritten in place") << QStringLiteral("rewritten.bin") << false;
}

// §4 BODY_END: the body is the file as it was when BODY was sent; if, by the end of the raw bytes, the file
// has changed (its mtime differs: an append, an overwrite in place) or shrunk, BODY_END says FILE_CHANGED.
void TestServerRules::fileGrowingOrRewrittenDuringTheBodyEndsWithFileChanged()
{
    QFETCH(QString, name);
    QFETCH(bool, append);
    QFile file(m_tree->root() + u'/' + name);
    TestClient client;
    QVERIFY(client.open(m_paced->host(), m_paced->port()).ok());
    bool changed = false;
    const GetResult r = client.get(name.toStdString(), 0, proto::ToEnd, [&](const char *, size_t) {
        if (!changed) { // once the body is under way (3 s at the rate limit)
            changed = append ? file.open(QIODevice::Append) : file.open(QIODevice::ReadWrite);
            changed = changed && (append || file.seek(1000)) && file.write("changed") == 7;
            file.close();
        }
        return true;
    });
    QVERIFY(changed);
    QCOMPARE(r.received, PacedSize); // the announced length, not more
    QVERIFY2(r.status.is(ErrorCode::FileChanged), qPrintable(r.status.toString()));
}

// §4 BODY_END: after a file shrinks the server pads the announced length with zeros, paced by the rate
// limit like the file's own bytes (at 1 MiB/s, the 3 MiB cannot arrive in much less than 3 s).
void TestServerRules::paddingAfterAShrinkHonoursTheRateLimit()
{
    const QString path = m_tree->root() + QStringLiteral("/shrinks.bin");
    TestClient client;
    QVERIFY(client.open(m_paced->host(), m_paced->port()).ok());
    QElapsedTimer clock;
    uint64_t receivedBeforeShrink = 0;
    uint64_t position = 0, lastNonZero = 0;
    const GetResult r = client.get("shrinks.bin", 0, proto::ToEnd, [&](const char *data, size_t size) {
        for (size_t i = 0; i < size; ++i)
            if (data[i] != 0)
                lastNonZero = position + i;
        position += size;
        if (clock.isValid())
            return true;
        receivedBeforeShrink = size;
        clock.start();
        return ::truncate(QFile::encodeName(path).constData(), 0) == 0;
    });
    const qint64 elapsedMs = clock.elapsed();
    QVERIFY2(r.status.is(ErrorCode::FileChanged), qPrintable(r.status.toString()));
    QCOMPARE(r.received, PacedSize);
    QVERIFY2(lastNonZero < PacedSize - RateLimit, "the last MiB of the body is not the zero padding");
    // The bytes after the shrink took at least 3/4 of what the rate allows (the server paces from the
    // start of the body, so a little of it may have been sent early).
    const qint64 minimumMs = qint64((PacedSize - receivedBeforeShrink) * 750 / RateLimit);
    QVERIFY2(elapsedMs >= minimumMs,
             qPrintable(QStringLiteral("%1 bytes after the shrink took %2 ms")
                            .arg(PacedSize - receivedBeforeShrink)
                            .arg(elapsedMs)));
}

QTEST_GUILESS_MAIN(TestServerRules)
#include "tst_server_rules.moc"
