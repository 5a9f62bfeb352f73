// The first bytes of a TLS connection against the parent, which peeks at them (at most 2 KiB at a time:
// parent/dispatcher_sniff.cpp) to tell TLS from a Ferry frame, and keeps the connection, unread, until
// its whole first record is there. A ClientHello larger than the peek, or one that arrives a byte at a
// time, must still reach a worker, be handshaken and be served; a connection that sends the first 3
// bytes of a record and stalls is closed by the deadline (--request-timeout) and meanwhile holds up no
// other client. The clients are OpenSSL itself, with the ClientHello shaped as each test needs.
#include "serverprocess.h"
#include "shapedtlsclient.h"
#include "testtree.h"
#include "tlstesthelpers.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTest>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

using namespace tlstest;
using ferrytest::TestTree;

namespace {

constexpr quint64 FileSize = 100 * 1024 + 3;
constexpr quint32 FileSeed = 5;
constexpr int PeekSize = 2048; // SniffPeekSize in parent/dispatcher_sniff.cpp

// The length field of the TLS record that starts `bytes` (-1 if it is not one).
int firstRecordLength(const QByteArray &bytes)
{
    if (bytes.size() < 5 || quint8(bytes[0]) != 0x16)
        return -1;
    return quint8(bytes[3]) << 8 | quint8(bytes[4]);
}

// A TCP connection to the server that has sent `bytes` and nothing more; -1 on failure.
int stalledConnection(quint16 port, const QByteArray &bytes)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0
        || ::send(fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL) != bytes.size()) {
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    return fd;
}

// Whether the server has closed (or reset) `fd`, without reading anything.
bool closedByServer(int fd)
{
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

} // namespace

class TestTlsFirstBytes : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void clientHelloLargerThanThePeekIsServed();
    void clientHelloByteByByteIsServed_data();
    void clientHelloByteByByteIsServed();
    void stalledRecordHeaderIsClosedByTheDeadlineAndHoldsUpNoOne();

private:
    // GET of the test file over `client`, compared with what the tree holds.
    void downloadOver(ShapedTlsClient &client);

    TestTree m_tree;
};

void TestTlsFirstBytes::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("f.bin"), FileSize, FileSeed).isEmpty());
}

void TestTlsFirstBytes::downloadOver(ShapedTlsClient &client)
{
    QString why;
    QVERIFY2(client.send(proto::GetRequest{"f.bin", 0, proto::ToEnd}, &why), qPrintable(why));
    QByteArray body;
    QVERIFY2(client.readBody(&body, &why), qPrintable(why));
    QCOMPARE(quint64(body.size()), FileSize);
    QVERIFY(body == ferrytest::patternBytes(FileSeed, 0, FileSize));
}

// One record of more than 4 KiB, all of it sent at once: the parent's peek sees its first 2 KiB, and
// FIONREAD tells it the rest is there too.
void TestTlsFirstBytes::clientHelloLargerThanThePeekIsServed()
{
    ServerProcess server(m_tree.root(), tlsOnly());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    ShapedTlsClient client;
    client.padClientHelloWithAlpn(6000);
    QString why;
    QVERIFY2(client.open(server.port(), &why), qPrintable(why + u'\n' + QString::fromUtf8(server.stderrText())));
    const QByteArray &hello = client.clientHello();
    QVERIFY2(hello.size() > 4096, qPrintable(QString::number(hello.size())));
    QCOMPARE(firstRecordLength(hello) + 5, int(hello.size())); // one record, larger than the peek
    downloadOver(client);
}

void TestTlsFirstBytes::clientHelloByteByByteIsServed_data()
{
    QTest::addColumn<int>("padding"); // bytes of ALPN names
    QTest::newRow("an ordinary ClientHello") << 0;
    QTest::newRow("a ClientHello larger than the peek") << 3000;
}

// Each byte of the ClientHello in its own segment: the parent wakes for each (edge-triggered), peeks
// again, and hands the connection on only once the record is whole.
void TestTlsFirstBytes::clientHelloByteByByteIsServed()
{
    QFETCH(int, padding);
    ServerProcess server(m_tree.root(), tlsOnly());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    ShapedTlsClient client;
    client.padClientHelloWithAlpn(padding);
    client.trickleClientHello(std::chrono::microseconds(200));
    QString why;
    QVERIFY2(client.open(server.port(), &why), qPrintable(why + u'\n' + QString::fromUtf8(server.stderrText())));
    const QByteArray &hello = client.clientHello();
    QCOMPARE(firstRecordLength(hello) + 5, int(hello.size()));
    QVERIFY(padding == 0 ? hello.size() < PeekSize : hello.size() > PeekSize);
    downloadOver(client);
}

// Twenty connections that sent a record's first 3 bytes (type, version) and stall, on a server with one
// worker: another client is handshaken and served while they wait, and each is closed once the
// deadline after its accept has passed, not before.
void TestTlsFirstBytes::stalledRecordHeaderIsClosedByTheDeadlineAndHoldsUpNoOne()
{
    constexpr int Deadline = 4000; // ms, --request-timeout
    ServerProcess server(m_tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                                 QStringLiteral("--max-per-ip"), QStringLiteral("0"),
                                                 QStringLiteral("--request-timeout"), QStringLiteral("4s")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QElapsedTimer sinceFirstConnect;
    sinceFirstConnect.start();
    std::vector<int> stalled;
    auto closeAll = qScopeGuard([&stalled] {
        for (int fd : stalled)
            ::close(fd);
    });
    for (int i = 0; i < 20; ++i) {
        stalled.push_back(stalledConnection(server.port(), QByteArray("\x16\x03\x01", 3)));
        QVERIFY(stalled.back() >= 0);
    }
    ShapedTlsClient client;
    QString why;
    QVERIFY2(client.open(server.port(), &why), qPrintable(why));
    downloadOver(client);
    const qint64 served = sinceFirstConnect.elapsed();
    QVERIFY2(served < Deadline, qPrintable(QStringLiteral("served after %1 ms").arg(served)));
    for (int fd : stalled)
        QVERIFY(!closedByServer(fd)); // still waiting: nobody waited for them

    std::vector<pollfd> open;
    for (int fd : stalled)
        open.push_back({fd, POLLIN | POLLRDHUP, 0});
    qint64 firstClose = -1;
    while (!open.empty() && sinceFirstConnect.elapsed() < Deadline + 10000) {
        const int ready = ::poll(open.data(), nfds_t(open.size()), 500);
        QVERIFY(ready >= 0);
        const size_t closed =
            std::erase_if(open, [](const pollfd &p) { return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0; });
        if (closed > 0 && firstClose < 0)
            firstClose = sinceFirstConnect.elapsed();
    }
    QVERIFY2(open.empty(), qPrintable(QStringLiteral("%1 of 20 still open").arg(open.size())));
    QVERIFY2(firstClose >= Deadline - 100, qPrintable(QStringLiteral("closed after %1 ms").arg(firstClose)));
}

QTEST_GUILESS_MAIN(TestTlsFirstBytes)
#include "tst_tls_firstbytes.moc"
