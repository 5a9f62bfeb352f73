// DIGEST and MANIFEST over TLS are hashed a piece per turn of the worker's loop (server/worker/
// hash_answer.h): with one worker, a TLS client's hash of a file of several GiB holds up none of the
// worker's other TLS clients, whose answers come while it is still under way; the answers made in
// turns are the file's true SHA-256s; a worker waiting for another worker's hash of the same file
// serves its other clients meanwhile. (tst_tls_hashing_stops: hashes that end before their answer.)
#include "adminrequest.h"
#include "chainentries.h"
#include "serverprocess.h"
#include "testtree.h"
#include "tlshashing.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QMap>
#include <QTest>

#include <memory>

using namespace tlstest;
using namespace tlshashing;
using ferrytest::TestTree;

namespace {

QByteArray sha256(const QByteArray &data) { return QCryptographicHash::hash(data, QCryptographicHash::Sha256); }

// Whether entry `next` is reached from entry `previous`, the state after `offset` bytes, over `bytes`
// (§10.5: entries are SHA-256 chain states; the last one is a finished digest).
bool reaches(const QByteArray &previous, uint64_t offset, const QByteArray &bytes, const QByteArray &next, bool last)
{
    ferry::sha256chain::Bytes32 state{};
    std::copy(previous.begin(), previous.end(), reinterpret_cast<char *>(state.data()));
    auto chain = ferry::sha256chain::Sha256Chain::resume(state, offset);
    if (previous.size() != qsizetype(state.size()) || !chain)
        return false;
    chain->update(bytes.constData(), size_t(bytes.size()));
    return next == (last ? ferrytest::entryBytes(chain->digest()) : ferrytest::entryBytes(chain->state().value()));
}

// The manifest of the sparse file: its first chunk is pattern bytes, every other one zeros. Entry 0
// is the state after the pattern chunk; entries 1, 2 and the last are each reached from the one
// before over a chunk of zeros (all of them would mean hashing the whole file here).
void verifySparseManifest(const std::vector<proto::ManifestPage> &pages, uint64_t size)
{
    QCOMPARE(pages.size(), size_t(1));
    const proto::ManifestPage &page = pages.front();
    QCOMPARE(page.fileSize, size);
    QCOMPARE(page.chunkCount, uint32_t(size / Chunk));
    QCOMPARE(page.digests.size(), size_t(page.chunkCount));
    QVERIFY(page.digests.size() > 3);
    ferry::sha256chain::Sha256Chain first;
    const QByteArray pattern = ferrytest::patternBytes(7, 0, Chunk);
    first.update(pattern.constData(), size_t(pattern.size()));
    QCOMPARE(bytesOf(page.digests.front()), ferrytest::entryBytes(first.state().value()));
    const QByteArray zeros(qsizetype(Chunk), '\0');
    const size_t last = page.digests.size() - 1;
    for (size_t i : {size_t(1), size_t(2), last})
        QVERIFY2(reaches(bytesOf(page.digests[i - 1]), i * Chunk, zeros, bytesOf(page.digests[i]), i == last),
                 qPrintable(QString::number(i)));
    QByteArray all;
    for (const proto::Sha256Digest &digest : page.digests)
        all += bytesOf(digest);
    QCOMPARE(bytesOf(page.root), sha256(all));
}

} // namespace

class TestTlsHashingTurns : public QObject
{
    Q_OBJECT
private slots:
    void otherClientsAreServedWhileAHashRuns_data();
    void otherClientsAreServedWhileAHashRuns();
    void answersMadeInTurnsAreTheFilesHashes();
    void waitingForAnotherWorkersHashHoldsUpNoOther();
};

void TestTlsHashingTurns::otherClientsAreServedWhileAHashRuns_data()
{
    QTest::addColumn<QString>("request");
    QTest::newRow("whole-file DIGEST") << QStringLiteral("digest");
    QTest::newRow("range DIGEST") << QStringLiteral("range");
    QTest::newRow("MANIFEST") << QStringLiteral("manifest");
}

void TestTlsHashingTurns::otherClientsAreServedWhileAHashRuns()
{
    QFETCH(QString, request);
    TestTree tree;
    QVERIFY(addSparseFile(tree, QStringLiteral("big.bin"), BigSize));
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    const QString log = tree.base() + QStringLiteral("/hash.log");
    ScopedEnv hook("FERRY_TEST_HASH_LOG", log.toLocal8Bit());
    // The stall watchdog would cut a hash that showed no progress for a second.
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--stall-timeout"), QStringLiteral("1s")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient hashing(120000);
    QString why;
    QVERIFY2(openVersion2(hashing, server, &why), qPrintable(why));
    const proto::DigestRequest range{"big.bin", proto::DigestAlgo::Sha256, 1, BigSize - 2};
    if (request == QLatin1String("manifest"))
        QVERIFY(hashing.send(proto::ManifestRequest{"big.bin"}));
    else if (request == QLatin1String("range"))
        QVERIFY(hashing.send(range));
    else
        QVERIFY(hashing.send(proto::DigestRequest{"big.bin"}));
    QTRY_COMPARE_WITH_TIMEOUT(hashLogLines(log), 1, 10000); // the hash is under way

    // Shown busy with it, its bytes moving, while the other client is served.
    const QJsonObject worker = onlyWorker(server);
    QCOMPARE(worker.value(QStringLiteral("state")).toString(), QStringLiteral("sending"));
    QCOMPARE(worker.value(QStringLiteral("path")).toString(), QStringLiteral("big.bin"));
    QVERIFY(worker.value(QStringLiteral("bytes_sent")).toInteger() > 0);
    serveOther(server); // a hash within one turn would keep this one waiting for seconds
    if (QTest::currentTestFailed())
        return;
    // The other's answers all came while the hash was still under way.
    QVERIFY(!hashing.hasIncoming());

    if (request == QLatin1String("manifest")) {
        std::vector<proto::ManifestPage> pages;
        QVERIFY2(readManifest(hashing, pages, &why), qPrintable(why));
        verifySparseManifest(pages, BigSize);
    } else {
        // (answersMadeInTurnsAreTheFilesHashes compares digests made in turns with the file's own.)
        const QByteArray digest = readDigest(hashing, &why);
        QVERIFY2(digest.size() == 32, qPrintable(why));
        if (request == QLatin1String("digest")) { // asked again: the same, from the cache, in one turn
            QVERIFY(hashing.send(proto::DigestRequest{"big.bin"}));
            QCOMPARE(readDigest(hashing, &why), digest);
            QCOMPARE(hashLogLines(log), 1);
        }
    }
    QVERIFY(!server.stderrText().contains("stall"));
    QTRY_COMPARE_WITH_TIMEOUT(auditLines(server, request == QLatin1String("manifest") ? "MANIFEST" : "DIGEST", "OK"),
                              request == QLatin1String("digest") ? 2 : 1, 5000);
}

// The hashes made a piece per turn (pieces of 1 MiB, a chunk of 4 MiB, a file that ends in the middle
// of both) are the file's own, computed here.
void TestTlsHashingTurns::answersMadeInTurnsAreTheFilesHashes()
{
    constexpr uint64_t Size = 40 * MiB + 123;
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("f.bin"), Size, 3).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient client(60000);
    QString why;
    QVERIFY2(openVersion2(client, server, &why), qPrintable(why));
    const QByteArray whole = sha256(ferrytest::patternBytes(3, 0, Size));
    QVERIFY(client.send(proto::DigestRequest{"f.bin"}));
    QCOMPARE(readDigest(client, &why), whole);
    const uint64_t offset = MiB + 5, length = 17 * MiB + 3;
    QVERIFY(client.send(proto::DigestRequest{"f.bin", proto::DigestAlgo::Sha256, offset, length}));
    QCOMPARE(readDigest(client, &why), sha256(ferrytest::patternBytes(3, offset, length)));
    QVERIFY(client.send(proto::ManifestRequest{"f.bin"}));
    std::vector<proto::ManifestPage> pages;
    QVERIFY2(readManifest(client, pages, &why), qPrintable(why));
    QCOMPARE(pages.size(), size_t(1));
    QCOMPARE(pages.front().chunkCount, uint32_t(11));
    QByteArray all;
    const QByteArray content = ferrytest::patternBytes(3, 0, Size);
    for (uint32_t i = 0; i < 11; ++i) {
        const qint64 end = qint64(std::min<uint64_t>((i + 1) * Chunk, Size));
        QVERIFY2(ferrytest::isStateAt(bytesOf(pages.front().digests[i]), content, end), qPrintable(QString::number(i)));
        all += bytesOf(pages.front().digests[i]);
    }
    QCOMPARE(bytesOf(pages.front().digests.back()), whole); // the last entry is the file's SHA-256
    QCOMPARE(bytesOf(pages.front().root), sha256(all));
    QVERIFY(client.send(proto::DigestRequest{"f.bin"})); // from the cache now, in the request's own turn
    QCOMPARE(readDigest(client, &why), whole);
    QTRY_COMPARE_WITH_TIMEOUT(auditLines(server, "DIGEST", "OK"), 3, 5000);
    QCOMPARE(auditLines(server, "MANIFEST", "OK"), 1);
}

// Two workers asked for one manifest: the first to miss the cache hashes, the other waits for its
// result without reading the file, trying the cache's lock again in later turns, and meanwhile serves
// its other TLS clients.
void TestTlsHashingTurns::waitingForAnotherWorkersHashHoldsUpNoOther()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("f.bin"), 16 * MiB, 2).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    const QString log = tree.base() + QStringLiteral("/hash.log"), pause = tree.base() + QStringLiteral("/hashing");
    ScopedEnv logHook("FERRY_TEST_HASH_LOG", log.toLocal8Bit());
    ScopedEnv pauseHook("FERRY_TEST_HASH_PAUSE", pause.toLocal8Bit());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("2")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(2));
    // Clients spread over both workers: one on a worker (it hashes), two on the other (one waits for
    // that hash, one is served meanwhile).
    std::vector<std::unique_ptr<TlsRawClient>> clients;
    QMap<qint64, QList<TlsRawClient *>> byWorker;
    QString why;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(std::make_unique<TlsRawClient>(30000));
        QVERIFY2(openVersion2(*clients.back(), server, &why), qPrintable(why));
        byWorker[server.pidServingClientPort(clients.back()->localPort())].append(clients.back().get());
    }
    QCOMPARE(byWorker.size(), 2);
    const qint64 waiting = byWorker.first().size() >= 2 ? byWorker.firstKey() : byWorker.lastKey();
    const qint64 hashing = waiting == byWorker.firstKey() ? byWorker.lastKey() : byWorker.firstKey();
    TlsRawClient &hasher = *byWorker.value(hashing).first();
    TlsRawClient &waiter = *byWorker.value(waiting).at(0), &other = *byWorker.value(waiting).at(1);

    QVERIFY(hasher.send(proto::ManifestRequest{"f.bin"}));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pause), 10000); // its worker is hashing, held half-way
    QVERIFY(waiter.send(proto::ManifestRequest{"f.bin"}));
    const auto workersOnIt = [](const QJsonObject &status) {
        int count = 0;
        for (const QJsonValue &worker : status.value(QStringLiteral("workers")).toArray())
            count += worker.toObject().value(QStringLiteral("path")).toString() == QLatin1String("f.bin");
        return count;
    };
    const QJsonObject status = ferrytest::awaitAdminStatus(
        server.adminSocketPath(), [&](const QJsonObject &now) { return workersOnIt(now) == 2; }, 10000);
    QCOMPARE(workersOnIt(status), 2); // the waiter's worker is on it too
    proto::Message answer;
    QVERIFY(other.send(proto::StatRequest{"small.bin"}));
    QVERIFY2(other.read(&answer, &why), qPrintable(why)); // a wait for the lock in one turn would hang here
    QVERIFY(std::holds_alternative<proto::StatReply>(answer));
    QVERIFY(!waiter.hasIncoming());
    QVERIFY(QFile::remove(pause));
    std::vector<proto::ManifestPage> first, second;
    QVERIFY2(readManifest(hasher, first, &why), qPrintable(why));
    QVERIFY2(readManifest(waiter, second, &why), qPrintable(why));
    QCOMPARE(second, first);
    QCOMPARE(hashLogLines(log), 1); // the file was read once
}

QTEST_GUILESS_MAIN(TestTlsHashingTurns)
#include "tst_tls_hashing_turns.moc"
