// DIGEST and MANIFEST over TLS are hashed a piece per turn of the worker's loop (server/worker/
// hash_answer.h): with one worker, a TLS client's hash of a file of several GiB holds up none of the
// worker's other TLS clients, whose answers come while it is still under way; the answers made in
// turns are the file's true SHA-256s; a client that goes away, or that the admin disconnects, frees
// the worker at once; a file changed meanwhile is still FILE_CHANGED, and a range cut short is told in
// the words a plaintext worker, which hashes it in one go, uses too.
#include "chainentries.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QMap>
#include <QTest>

#include <memory>

using namespace tlstest;
using ferrytest::TestTree;

namespace {

constexpr uint64_t MiB = 1024 * 1024;
constexpr uint64_t GiB = 1024 * MiB;
constexpr uint64_t Chunk = 4 * MiB; // the server's manifest chunk size
// A file whose hash takes seconds: SHA-256 runs at about 1.7 GB/s with SHA instructions on an idle
// core, and reading a hole costs the kernel a zeroed page per 4 KiB; under load both take longer.
constexpr uint64_t BigSize = 4 * GiB;

QByteArray sha256(const QByteArray &data) { return QCryptographicHash::hash(data, QCryptographicHash::Sha256); }

// A sparse file of `size` bytes: one chunk of pattern bytes (seed 7), then a hole, which reads as zeros.
bool addSparseFile(const TestTree &tree, const QString &name, uint64_t size)
{
    QFile file(tree.path(name));
    return file.open(QIODevice::WriteOnly) && file.write(ferrytest::patternBytes(7, 0, Chunk)) == qint64(Chunk)
           && file.resize(qint64(size));
}

// Lines FERRY_TEST_HASH_LOG has: one per request that started reading a file to hash it.
int hashLogLines(const QString &log)
{
    QFile file(log);
    return file.open(QIODevice::ReadOnly) ? int(file.readAll().count('\n')) : 0;
}

// The status of the server's only worker ({} if there is none).
QJsonObject onlyWorker(const ServerProcess &server)
{
    const QJsonArray workers = adminStatus(server).value(QStringLiteral("workers")).toArray();
    return workers.size() == 1 ? workers.first().toObject() : QJsonObject();
}

bool openVersion2(TlsRawClient &client, const ServerProcess &server, QString *why)
{
    client.setProtocolVersion(2);
    return client.open(server.host(), server.port(), why);
}

// Another client of the same worker: a STAT, a LIST and a small GET, all answered.
void serveOther(const ServerProcess &server)
{
    TlsRawClient other(20000);
    QString why;
    QVERIFY2(other.open(server.host(), server.port(), &why), qPrintable(why));
    proto::Message answer;
    QVERIFY(other.send(proto::StatRequest{"small.bin"}));
    QVERIFY2(other.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::StatReply>(answer));
    QVERIFY(other.send(proto::ListRequest{""}));
    QVERIFY2(other.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::ListPage>(answer));
    uint64_t received = 0;
    QVERIFY(other.send(proto::GetRequest{"small.bin", 0, proto::ToEnd}));
    QVERIFY2(other.readBody(&received, &why), qPrintable(why));
    QCOMPARE(received, uint64_t(10000));
}

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

// The range DIGEST the two "on both paths" tests send, over TLS or plaintext, to a one-worker server.
const proto::DigestRequest HeldRange{"f.bin", proto::DigestAlgo::Sha256, 1, 24 * MiB - 2};

QStringList oneWorker(bool tls)
{
    const QStringList one{QStringLiteral("--workers"), QStringLiteral("1")};
    return tls ? tlsOnly(one) : one + QStringList{"--plaintext", "only"};
}

// Sends HeldRange on whichever client the path uses; false with `why` if it could not.
bool sendHeldRange(bool tls, const ServerProcess &server, TlsRawClient &overTls, ferrytest::TestClient &plain,
                   QString *why)
{
    if (tls)
        return openVersion2(overTls, server, why) && overTls.send(HeldRange);
    if (!plain.open(server.host(), server.port()).ok() || !plain.send(HeldRange)) {
        *why = QStringLiteral("could not send the range DIGEST in plaintext");
        return false;
    }
    return true;
}

} // namespace

class TestTlsHashing : public QObject
{
    Q_OBJECT
private slots:
    void otherClientsAreServedWhileAHashRuns_data();
    void otherClientsAreServedWhileAHashRuns();
    void answersMadeInTurnsAreTheFilesHashes();
    void abandonedHashFreesTheWorker_data();
    void abandonedHashFreesTheWorker();
    void waitingForAnotherWorkersHashHoldsUpNoOther();
    void fileChangedWhileHashedInTurns_data();
    void fileChangedWhileHashedInTurns();
    void rangeOfAFileCutShortSaysSoOnBothPaths_data();
    void rangeOfAFileCutShortSaysSoOnBothPaths();
    void rangeStoppedByTheAdminIsNotAnsweredOnBothPaths_data();
    void rangeStoppedByTheAdminIsNotAnsweredOnBothPaths();
};

void TestTlsHashing::otherClientsAreServedWhileAHashRuns_data()
{
    QTest::addColumn<QString>("request");
    QTest::newRow("whole-file DIGEST") << QStringLiteral("digest");
    QTest::newRow("range DIGEST") << QStringLiteral("range");
    QTest::newRow("MANIFEST") << QStringLiteral("manifest");
}

void TestTlsHashing::otherClientsAreServedWhileAHashRuns()
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
void TestTlsHashing::answersMadeInTurnsAreTheFilesHashes()
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

void TestTlsHashing::abandonedHashFreesTheWorker_data()
{
    QTest::addColumn<bool>("byAdmin");
    QTest::newRow("the client goes away") << false;
    QTest::newRow("ferry-ctl disconnect") << true;
}

// A hash nobody waits for any more stops between two pieces: the worker holds nothing of it (no socket,
// no descriptor, no cache lock), long before the hash could have ended, and serves on.
void TestTlsHashing::abandonedHashFreesTheWorker()
{
    QFETCH(bool, byAdmin);
    TestTree tree;
    QVERIFY(addSparseFile(tree, QStringLiteral("big.bin"), 4 * BigSize)); // 16 GiB: 10 s or more
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    const QString log = tree.base() + QStringLiteral("/hash.log");
    ScopedEnv hook("FERRY_TEST_HASH_LOG", log.toLocal8Bit());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));
    const qint64 worker = server.workerPids().first();
    serveOther(server); // whatever a worker opens once (audit log, cache directory) is open now
    if (QTest::currentTestFailed())
        return;
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionSocketCount(worker), 0, 5000);
    const int idleFds = ServerProcess::openFdCountOutside(worker, tree.root());

    auto hashing = std::make_unique<TlsRawClient>(30000);
    QString why;
    QVERIFY2(hashing->open(server.host(), server.port(), &why), qPrintable(why));
    QVERIFY(hashing->send(proto::DigestRequest{"big.bin"}));
    QTRY_COMPARE_WITH_TIMEOUT(hashLogLines(log), 1, 10000);
    if (byAdmin) {
        const qint64 connection = onlyWorker(server).value(QStringLiteral("connection")).toInteger();
        QVERIFY(connection > 0);
        const auto result = ServerProcess::runProgram(QStringLiteral(CTL_BIN),
                                                      {QStringLiteral("--admin-socket"), server.adminSocketPath(),
                                                       QStringLiteral("disconnect"), QString::number(connection)});
        QVERIFY2(result.exitCode == 0, result.err.constData());
    } else {
        hashing.reset(); // closes its socket mid-hash
    }
    // Stopped within a few pieces, not at the end of the file: the hash had seconds to go.
    QTRY_COMPARE_WITH_TIMEOUT(auditLines(server, "DIGEST", "INTERRUPTED"), 1, 3000);
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionSocketCount(worker), 0, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(ServerProcess::openFdCountOutside(worker, tree.root()), idleFds, 5000);
    QCOMPARE(server.workerPids(), QList<qint64>{worker});
    serveOther(server);
    if (byAdmin) // the admin's cut reached the client as an end of the connection, not as an answer
        QVERIFY(readDigest(*hashing, &why).isEmpty());
}

// Two workers asked for one manifest: the first to miss the cache hashes, the other waits for its
// result without reading the file, trying the cache's lock again in later turns, and meanwhile serves
// its other TLS clients.
void TestTlsHashing::waitingForAnotherWorkersHashHoldsUpNoOther()
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
    auto workersOnIt = [&] {
        int count = 0;
        for (const QJsonValue &worker : adminStatus(server).value(QStringLiteral("workers")).toArray())
            count += worker.toObject().value(QStringLiteral("path")).toString() == QLatin1String("f.bin");
        return count;
    };
    QTRY_COMPARE_WITH_TIMEOUT(workersOnIt(), 2, 10000); // the waiter's worker is on it too
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

void TestTlsHashing::fileChangedWhileHashedInTurns_data()
{
    QTest::addColumn<bool>("manifest");
    QTest::newRow("MANIFEST") << true;
    QTest::newRow("whole-file DIGEST") << false;
}

// The file is stamped before the first piece and after the last: written in between, the answer is
// FILE_CHANGED, and nothing is cached of it.
void TestTlsHashing::fileChangedWhileHashedInTurns()
{
    QFETCH(bool, manifest);
    TestTree tree;
    const QString file = tree.addFile(QStringLiteral("f.bin"), 24 * MiB, 9);
    QVERIFY(!file.isEmpty());
    const QString pause = tree.base() + QStringLiteral("/hashing");
    ScopedEnv hook("FERRY_TEST_HASH_PAUSE", pause.toLocal8Bit());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient client(60000);
    QString why;
    QVERIFY2(openVersion2(client, server, &why), qPrintable(why));
    if (manifest)
        QVERIFY(client.send(proto::ManifestRequest{"f.bin"}));
    else
        QVERIFY(client.send(proto::DigestRequest{"f.bin"}));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pause), 10000); // its first pieces are hashed, the rest waits
    {
        QFile writer(file); // rewritten in place near its end: same size, new bytes
        QVERIFY(writer.open(QIODevice::ReadWrite));
        QVERIFY(writer.seek(qint64(20 * MiB)));
        QCOMPARE(writer.write("changed", 7), qint64(7));
    }
    QVERIFY(QFile::remove(pause));
    proto::Message reply;
    QVERIFY2(client.read(&reply, &why), qPrintable(why));
    const auto *error = std::get_if<proto::Error>(&reply);
    QVERIFY2(error, proto::messageTypeName(proto::typeOf(reply)));
    QCOMPARE(error->code, proto::ErrorCode::FileChanged);
    QVERIFY2(QString::fromStdString(error->message).contains(QStringLiteral("changed while it was being hashed")),
             error->message.c_str());
    const QByteArray request = manifest ? "MANIFEST" : "DIGEST";
    QTRY_COMPARE_WITH_TIMEOUT(auditLines(server, request, "FILE_CHANGED"), 1, 5000);
    QCOMPARE(QDir(server.stateDir() + QStringLiteral("/manifests")).entryList({QStringLiteral("manifest-*"),
                                                                              QStringLiteral("sha256-*")},
                                                                             QDir::Files),
             QStringList());
    // The connection serves on.
    QVERIFY(client.send(proto::StatRequest{"f.bin"}));
    QVERIFY2(client.read(&reply, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::StatReply>(reply));
}

void TestTlsHashing::rangeOfAFileCutShortSaysSoOnBothPaths_data()
{
    QTest::addColumn<bool>("tls");
    QTest::newRow("TLS: hashed in turns") << true;
    QTest::newRow("plaintext: hashed in one go") << false;
}

// A range DIGEST of a file truncated while it is hashed: over TLS it said "the file became shorter while
// it was being hashed", in plaintext "the file changed while it was being read". One sentence now.
void TestTlsHashing::rangeOfAFileCutShortSaysSoOnBothPaths()
{
    QFETCH(bool, tls);
    TestTree tree;
    const QString file = tree.addFile(QStringLiteral("f.bin"), 24 * MiB, 9);
    QVERIFY(!file.isEmpty());
    const QString pause = tree.base() + QStringLiteral("/hashing");
    ScopedEnv hook("FERRY_TEST_HASH_PAUSE", pause.toLocal8Bit());
    ServerProcess server(tree.root(), oneWorker(tls));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient overTls(60000);
    ferrytest::TestClient plain(60000);
    QString why;
    QVERIFY2(sendHeldRange(tls, server, overTls, plain, &why), qPrintable(why));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pause), 10000); // the hash is under way, held
    QVERIFY(QFile::resize(file, qint64(MiB))); // cut well before the range's end
    QVERIFY(QFile::remove(pause));
    proto::Message reply;
    if (tls)
        QVERIFY2(overTls.read(&reply, &why), qPrintable(why));
    else
        QVERIFY(plain.readMessage(&reply).ok());
    const auto *error = std::get_if<proto::Error>(&reply);
    QVERIFY2(error, proto::messageTypeName(proto::typeOf(reply)));
    QCOMPARE(error->code, proto::ErrorCode::FileChanged);
    QCOMPARE(error->message, std::string("DIGEST 'f.bin': the file became shorter while it was being hashed"));
}

void TestTlsHashing::rangeStoppedByTheAdminIsNotAnsweredOnBothPaths_data()
{
    rangeOfAFileCutShortSaysSoOnBothPaths_data();
}

// A range DIGEST the admin disconnects mid-hash: the connection closes without an answer on both
// paths (a plaintext one was answered FILE_CHANGED "aborted", as if the file had changed), and its
// audit line says INTERRUPTED.
void TestTlsHashing::rangeStoppedByTheAdminIsNotAnsweredOnBothPaths()
{
    QFETCH(bool, tls);
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("f.bin"), 24 * MiB, 9).isEmpty());
    const QString pause = tree.base() + QStringLiteral("/hashing");
    ScopedEnv hook("FERRY_TEST_HASH_PAUSE", pause.toLocal8Bit());
    ServerProcess server(tree.root(), oneWorker(tls));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient overTls(30000);
    ferrytest::TestClient plain(30000);
    QString why;
    QVERIFY2(sendHeldRange(tls, server, overTls, plain, &why), qPrintable(why));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pause), 10000); // the hash is under way, held
    const qint64 connection = onlyWorker(server).value(QStringLiteral("connection")).toInteger();
    QVERIFY(connection > 0);
    const auto result = ServerProcess::runProgram(QStringLiteral(CTL_BIN),
                                                  {QStringLiteral("--admin-socket"), server.adminSocketPath(),
                                                   QStringLiteral("disconnect"), QString::number(connection)});
    QVERIFY2(result.exitCode == 0, result.err.constData());
    QVERIFY(QFile::remove(pause));
    proto::Message reply;
    if (tls) {
        QVERIFY(!overTls.read(&reply, &why));
    } else {
        const ferrytest::Status status = plain.readMessage(&reply);
        QVERIFY2(!status.ok(), proto::messageTypeName(proto::typeOf(reply)));
    }
    QTRY_COMPARE_WITH_TIMEOUT(auditLines(server, "DIGEST", "INTERRUPTED"), 1, 5000);
    QCOMPARE(auditLines(server, "DIGEST", "FILE_CHANGED"), 0);
}

QTEST_GUILESS_MAIN(TestTlsHashing)
#include "tst_tls_hashing.moc"
