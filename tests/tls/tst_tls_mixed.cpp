// Under --plaintext allow a worker holds TLS connections beside plaintext ones. A TLS session cannot
// be handed back to the parent, so a plaintext request's long work (a hash, a body its client does not
// read) is made in turns, as a TLS one's is, while its worker holds one: with one worker, a TLS
// client's small GET is answered while the plaintext client's long answer is still under way, and
// that answer comes whole afterwards (docs/SECURITY.md, "Where TLS lives").
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include <QFile>
#include <QTest>

using namespace tlstest;
using ferrytest::TestClient;
using ferrytest::TestTree;

namespace {

constexpr uint64_t MiB = 1024 * 1024;
// A file whose hash takes a second or more (SHA-256 at about 1.7 GB/s on an idle core, a hole read as
// zeros, a piece per turn): far longer than a small GET takes.
constexpr uint64_t BigSize = 1024 * MiB;
// A body far larger than the socket buffers: a client that does not read leaves most of it unsent.
constexpr uint64_t LargeBody = 64 * MiB;

bool addSparseFile(const TestTree &tree, const QString &name, uint64_t size)
{
    QFile file(tree.path(name));
    return file.open(QIODevice::WriteOnly) && file.write(ferrytest::patternBytes(7, 0, MiB)) == qint64(MiB)
           && file.resize(qint64(size));
}

// Lines FERRY_TEST_HASH_LOG has: one per request that started reading a file to hash it.
int hashLogLines(const QString &log)
{
    QFile file(log);
    return file.open(QIODevice::ReadOnly) ? int(file.readAll().count('\n')) : 0;
}

} // namespace

class TestTlsMixed : public QObject
{
    Q_OBJECT
private slots:
    void tlsClientIsServedDuringAPlaintextLongAnswer_data();
    void tlsClientIsServedDuringAPlaintextLongAnswer();
};

void TestTlsMixed::tlsClientIsServedDuringAPlaintextLongAnswer_data()
{
    QTest::addColumn<QString>("work");
    QTest::newRow("whole-file DIGEST") << QStringLiteral("digest");
    QTest::newRow("range DIGEST") << QStringLiteral("range");
    QTest::newRow("GET its client does not read") << QStringLiteral("get");
}

void TestTlsMixed::tlsClientIsServedDuringAPlaintextLongAnswer()
{
    QFETCH(QString, work);
    TestTree tree;
    QVERIFY(addSparseFile(tree, QStringLiteral("big.bin"), BigSize));
    QVERIFY(!tree.addFile(QStringLiteral("large.bin"), LargeBody, 5).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    const QString log = tree.base() + QStringLiteral("/hash.log");
    ScopedEnv hook("FERRY_TEST_HASH_LOG", log.toLocal8Bit());
    ServerProcess server(tree.root(), {QStringLiteral("--plaintext"), QStringLiteral("allow"),
                                       QStringLiteral("--workers"), QStringLiteral("1")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient tls(120000); // in the only worker, which keeps its session from now on
    QString why;
    QVERIFY2(tls.open(server.host(), server.port(), &why), qPrintable(why));

    TestClient plain(120000);
    QVERIFY(plain.open(server.host(), server.port()).ok());
    if (work == QLatin1String("get")) {
        QVERIFY(plain.send(proto::GetRequest{"large.bin", 0, proto::ToEnd})); // and not read, for now
        QTRY_VERIFY_WITH_TIMEOUT(!plain.isOpenAndQuiet(), 10000);          // its BODY has begun
    } else {
        QVERIFY(plain.send(work == QLatin1String("range")
                               ? proto::DigestRequest{"big.bin", proto::DigestAlgo::Sha256, 1, BigSize - 2}
                               : proto::DigestRequest{"big.bin"}));
        QTRY_COMPARE_WITH_TIMEOUT(hashLogLines(log), 1, 10000); // the hash is under way
    }

    uint64_t received = 0;
    QVERIFY(tls.send(proto::GetRequest{"small.bin", 0, proto::ToEnd}));
    QVERIFY2(tls.readBody(&received, &why), qPrintable(why)); // a worker held by the long work hangs here
    QCOMPARE(received, uint64_t(10000));

    if (work == QLatin1String("get")) {
        // The plaintext body was still under way (its client had read nothing), and comes whole now.
        uint64_t bytes = 0;
        const ferrytest::GetResult body = plain.readGetReply([&bytes](const char *, size_t size) {
            bytes += size;
            return true;
        });
        QVERIFY(body.status.ok());
        QCOMPARE(bytes, LargeBody);
        return;
    }
    QVERIFY(plain.isOpenAndQuiet()); // the TLS answer came first: the hash is still under way
    proto::Message answer;
    QVERIFY(plain.readMessage(&answer).ok());
    const auto *reply = std::get_if<proto::DigestReply>(&answer);
    QVERIFY2(reply, proto::messageTypeName(proto::typeOf(answer)));
    QCOMPARE(reply->digest.size(), size_t(32));
}

QTEST_GUILESS_MAIN(TestTlsMixed)
#include "tst_tls_mixed.moc"
