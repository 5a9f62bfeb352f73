// A TLS client may half-close (PROTOCOL.md §3.4) while the hash behind its answer is under way, as a
// plaintext one may: with close_notify and then TCP's FIN, or with a bare FIN. The answers to the
// requests it sent before still come, whole and in order; then the server closes with its own
// close_notify and keeps nothing of the connection.
#include "chainentries.h"
#include "serverprocess.h"
#include "testtree.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include <QCryptographicHash>
#include <QFile>
#include <QTest>

using namespace tlstest;
using ferrytest::TestTree;

namespace {

constexpr uint64_t MiB = 1024 * 1024;
constexpr uint64_t Chunk = 4 * MiB; // the server's manifest chunk size
constexpr uint64_t Size = 24 * MiB; // six chunks

QByteArray sha256(const QByteArray &data) { return QCryptographicHash::hash(data, QCryptographicHash::Sha256); }

// The answer to the hash request, checked against the file's bytes (pattern seed 9).
void verifyHashAnswer(TlsRawClient &client, bool manifest)
{
    QString why;
    if (!manifest) {
        const QByteArray digest = readDigest(client, &why);
        QVERIFY2(!digest.isEmpty(), qPrintable(why));
        QCOMPARE(digest, sha256(ferrytest::patternBytes(9, 0, Size)));
        return;
    }
    std::vector<proto::ManifestPage> pages;
    QVERIFY2(readManifest(client, pages, &why), qPrintable(why));
    QCOMPARE(pages.size(), size_t(1));
    QCOMPARE(pages.front().digests.size(), size_t(Size / Chunk));
    // Each entry is the SHA-256 chain state at its chunk's end, the last the file's SHA-256 (§10.5).
    const std::vector<QByteArray> entries = ferrytest::chainEntries(ferrytest::patternBytes(9, 0, Size), Chunk);
    QByteArray all;
    for (size_t i = 0; i < pages.front().digests.size(); ++i) {
        QCOMPARE(bytesOf(pages.front().digests[i]), entries[i]);
        all += entries[i];
    }
    QCOMPARE(bytesOf(pages.front().root), sha256(all));
}

} // namespace

class TestTlsHalfClose : public QObject
{
    Q_OBJECT
private slots:
    void answersOwedAreSentAfterAHalfClose_data();
    void answersOwedAreSentAfterAHalfClose();
};

void TestTlsHalfClose::answersOwedAreSentAfterAHalfClose_data()
{
    QTest::addColumn<bool>("manifest");
    QTest::addColumn<bool>("closeNotify");
    QTest::newRow("DIGEST, close_notify and FIN") << false << true;
    QTest::newRow("DIGEST, bare FIN") << false << false;
    QTest::newRow("MANIFEST, close_notify and FIN") << true << true;
    QTest::newRow("MANIFEST, bare FIN") << true << false;
}

void TestTlsHalfClose::answersOwedAreSentAfterAHalfClose()
{
    QFETCH(bool, manifest);
    QFETCH(bool, closeNotify);
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("f.bin"), Size, 9).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    const QString pause = tree.base() + QStringLiteral("/hashing");
    ScopedEnv hook("FERRY_TEST_HASH_PAUSE", pause.toLocal8Bit());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));
    const qint64 worker = server.workerPids().first();

    TlsRawClient client(60000);
    client.setProtocolVersion(2); // MANIFEST is a version 2 request
    QString why;
    QVERIFY2(client.open(server.host(), server.port(), &why), qPrintable(why));
    proto::Message hash = proto::DigestRequest{"f.bin"};
    if (manifest)
        hash = proto::ManifestRequest{"f.bin"};
    // A second request behind the hash: it waits for the hash's answer, and is owed an answer too.
    QVERIFY(client.sendInOneWrite({hash, proto::StatRequest{"small.bin"}}));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pause), 10000); // its first pieces are hashed, the rest waits
    QVERIFY(client.halfClose(closeNotify));                 // so the server finds the FIN mid-hash
    QVERIFY(QFile::remove(pause));

    verifyHashAnswer(client, manifest);
    if (QTest::currentTestFailed())
        return;
    proto::Message stat;
    QVERIFY2(client.read(&stat, &why), qPrintable(why));
    QVERIFY2(std::holds_alternative<proto::StatReply>(stat), proto::messageTypeName(proto::typeOf(stat)));
    QVERIFY2(client.awaitCloseNotify(&why), qPrintable(why)); // then a clean TLS close, not a bare one
    QTRY_COMPARE_WITH_TIMEOUT(auditLines(server, manifest ? "MANIFEST" : "DIGEST", "OK"), 1, 5000);
    QCOMPARE(auditLines(server, "STAT", "OK"), 1);
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionSocketCount(worker), 0, 5000);
    QCOMPARE(server.workerPids(), QList<qint64>{worker});
}

QTEST_GUILESS_MAIN(TestTlsHalfClose)
#include "tst_tls_halfclose.moc"
