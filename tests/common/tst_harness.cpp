// The harness checks itself: if TestClient misread how a connection ended, or the
// pattern verifier missed a wrong byte, every integration test built on them would
// pass for the wrong reason. Uses a scripted fake peer and a fake server script.
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QFile>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace ferrytest;

namespace {

QByteArray frame(const proto::Message &message)
{
    const std::vector<uint8_t> bytes = proto::encode(message);
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

// Accepts one connection on 127.0.0.1, sends `script`, then ends it as told.
class FakePeer
{
public:
    enum class Ending { Close, Reset, Hold };

    FakePeer(QByteArray script, Ending ending) : m_script(std::move(script)), m_ending(ending)
    {
        m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        ::bind(m_listener, reinterpret_cast<sockaddr *>(&addr), len);
        ::listen(m_listener, 4);
        ::getsockname(m_listener, reinterpret_cast<sockaddr *>(&addr), &len);
        m_port = ntohs(addr.sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    ~FakePeer()
    {
        ::shutdown(m_listener, SHUT_RDWR);
        m_thread.join();
        ::close(m_listener);
    }
    quint16 port() const { return m_port; }

private:
    void serve()
    {
        const int fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        char request[4096];
        ::recv(fd, request, sizeof request, 0); // the client's first frame
        ::send(fd, m_script.constData(), size_t(m_script.size()), MSG_NOSIGNAL);
        if (m_ending == Ending::Reset) {
            linger hard{1, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        } else {
            // Close: an orderly FIN now, but keep reading so that a request still
            // in flight from the client cannot turn the close into a reset.
            if (m_ending == Ending::Close) {
                ::shutdown(fd, SHUT_WR);
            }
            while (::recv(fd, request, sizeof request, 0) > 0) {
            }
        }
        ::close(fd);
    }

    QByteArray m_script;
    Ending m_ending;
    int m_listener = -1;
    quint16 m_port = 0;
    std::thread m_thread;
};

} // namespace

class TestHarness : public QObject
{
    Q_OBJECT

private slots:
    void patternFileMatchesPatternBytes();
    void verifierFindsTheFirstWrongByte_data();
    void verifierFindsTheFirstWrongByte();
    void clientTellsHowAConversationEnded_data();
    void clientTellsHowAConversationEnded();
    void clientReadsABody();
    void serverProcessLeavesNothingBehind();
};

void TestHarness::patternFileMatchesPatternBytes()
{
    TestTree tree;
    const quint64 size = 3 * PatternBlockSize + 17;
    const QString path = tree.addFile(QStringLiteral("p.bin"), size, 5);
    QVERIFY(!path.isEmpty());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray content = file.readAll();
    QCOMPARE(quint64(content.size()), size);
    QVERIFY(content == patternBytes(5, 0, size));
    QVERIFY(content.mid(PatternBlockSize - 3, 10) == patternBytes(5, PatternBlockSize - 3, 10));
    QVERIFY(content != patternBytes(6, 0, size));
    // Every block differs from the others (its stamp), so misordering is visible.
    QVERIFY(content.left(PatternBlockSize) != content.mid(PatternBlockSize, PatternBlockSize));
}

void TestHarness::verifierFindsTheFirstWrongByte_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<quint64>("mismatch"); // UINT64_MAX: none

    const QByteArray good = patternBytes(9, 0, 2 * PatternBlockSize + 100);
    QByteArray flipped = good;
    flipped[1500000] = char(flipped[1500000] ^ 0x40);
    QByteArray swapped = good.mid(PatternBlockSize, PatternBlockSize) + good.left(PatternBlockSize);
    QTest::newRow("intact") << good << quint64(UINT64_MAX);
    QTest::newRow("one bit flipped") << flipped << quint64(1500000);
    QTest::newRow("blocks swapped") << swapped << quint64(0);
    QTest::newRow("other seed") << patternBytes(10, 0, 100) << quint64(8);
}

void TestHarness::verifierFindsTheFirstWrongByte()
{
    QFETCH(QByteArray, stream);
    QFETCH(quint64, mismatch);
    PatternVerifier verifier(9);
    // Odd-sized pieces, so block boundaries fall inside them.
    for (qsizetype at = 0; at < stream.size(); at += 77777) {
        verifier.update(stream.constData() + at, size_t(qMin<qsizetype>(77777, stream.size() - at)));
    }
    QCOMPARE(verifier.firstMismatch(), mismatch);
    QCOMPARE(verifier.matches(), mismatch == UINT64_MAX);
}

void TestHarness::clientTellsHowAConversationEnded_data()
{
    QTest::addColumn<QByteArray>("script");
    QTest::addColumn<int>("ending");
    QTest::addColumn<int>("outcome");

    const QByteArray welcome = frame(proto::Welcome{});
    QTest::newRow("welcome") << welcome << int(FakePeer::Ending::Hold) << int(Outcome::Ok);
    QTest::newRow("close without a frame") << QByteArray() << int(FakePeer::Ending::Close) << int(Outcome::Closed);
    QTest::newRow("reset without a frame") << QByteArray() << int(FakePeer::Ending::Reset) << int(Outcome::Reset);
    QTest::newRow("silence") << QByteArray() << int(FakePeer::Ending::Hold) << int(Outcome::Timeout);
    QTest::newRow("half a frame, then close") << welcome.left(5) << int(FakePeer::Ending::Close)
                                              << int(Outcome::Closed);
    QTest::newRow("garbage") << QByteArray("HTTP/1.1 400 Bad Request\r\n\r\n") << int(FakePeer::Ending::Close)
                             << int(Outcome::Protocol);
    QTest::newRow("busy") << frame(proto::Busy{250, "full"}) << int(FakePeer::Ending::Close) << int(Outcome::Busy);
    QTest::newRow("error") << frame(proto::Error{proto::ErrorCode::ShuttingDown, "bye"})
                           << int(FakePeer::Ending::Close) << int(Outcome::Error);
    QTest::newRow("wrong answer") << frame(proto::StatReply{}) << int(FakePeer::Ending::Close)
                                  << int(Outcome::Protocol);
}

void TestHarness::clientTellsHowAConversationEnded()
{
    QFETCH(QByteArray, script);
    QFETCH(int, ending);
    QFETCH(int, outcome);
    FakePeer peer(script, FakePeer::Ending(ending));
    TestClient client(500);
    const Status s = client.open(QStringLiteral("127.0.0.1"), peer.port());
    QVERIFY2(s.outcome == Outcome(outcome), qPrintable(s.toString()));
    if (s.outcome == Outcome::Busy) {
        QCOMPARE(s.retryAfterMs, 250u);
    }
    if (s.outcome == Outcome::Error) {
        QVERIFY(s.is(proto::ErrorCode::ShuttingDown));
    }
    client.close(); // lets a holding peer finish
}

void TestHarness::clientReadsABody()
{
    const QByteArray content = patternBytes(3, 10, 300000);
    const QByteArray complete = frame(proto::Welcome{}) + frame(proto::Body{10, 300000, 400000, 7}) + content
        + frame(proto::BodyEnd{proto::ErrorCode::Ok, {}});
    {
        FakePeer peer(complete, FakePeer::Ending::Close);
        TestClient client(2000);
        QVERIFY(client.open(QStringLiteral("127.0.0.1"), peer.port()).ok());
        const GetResult r = client.get("x", 10, 300000);
        QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
        QCOMPARE(r.body->fileSize, 400000ull);
        QVERIFY(r.data == content);
    }
    {
        FakePeer peer(complete.left(complete.size() - 200000), FakePeer::Ending::Close);
        TestClient client(2000);
        QVERIFY(client.open(QStringLiteral("127.0.0.1"), peer.port()).ok());
        const GetResult r = client.get("x", 10, 300000);
        QCOMPARE(r.status.outcome, Outcome::Closed);
        QVERIFY(r.received < 300000);
    }
}

// A stand-in "server" that forks two children: the harness finds them as
// workers, reports the orphans a dying parent leaves, and removes them.
void TestHarness::serverProcessLeavesNothingBehind()
{
    TestTree tree;
    const QString script = tree.base() + QStringLiteral("/fake-server.sh");
    QFile file(script);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("#!/bin/sh\nsleep 300 &\nsleep 300 &\necho 'ferry-server: listening on 127.0.0.1:4321'\nwait\n");
    file.close();
    QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::ExeOwner));

    QList<qint64> children;
    qint64 group = 0;
    {
        ServerProcess server(tree.root());
        server.setProgram(script);
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        QCOMPARE(server.port(), quint16(4321));
        QVERIFY(server.waitForWorkerCount(2));
        children = server.workerPids();
        group = server.pid();
        QVERIFY(ServerProcess::openFdCount(children.front()) > 0);
        QCOMPARE(server.stop(), 128 + SIGTERM);
        QCOMPARE(ServerProcess::processGroupMembers(group), children); // orphans, seen as such
    }
    for (qint64 pid : children) {
        QTRY_VERIFY(!ServerProcess::processExists(pid) || ServerProcess::processState(pid) == 'Z');
    }
    QVERIFY(ServerProcess::openFdCount(children.front()) <= 0);
}

QTEST_GUILESS_MAIN(TestHarness)
#include "tst_harness.moc"
