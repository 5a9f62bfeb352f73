// Manifests and whole-file digests from the real ferry-server (docs/PROTOCOL.md §10; server/manifest):
// the answers match SHA-256s computed here; a second request for an unchanged file is answered from the
// cache in the state directory without reading the file again (FERRY_TEST_HASH_LOG counts the reads);
// the served root, made read-only, is never written; a file rewritten while it is hashed gives
// FILE_CHANGED (FERRY_TEST_HASH_PAUSE holds the hash half-way while the test rewrites it).
#include "scopedenv.h"
#include "adminrequest.h"
#include "chainentries.h"
#include "polling.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QTest>

#include <pwd.h>
#include <unistd.h>

using namespace ferrytest;

namespace {

constexpr uint64_t MiB = 1024 * 1024;

// What FERRY_TEST_HASH_LOG recorded: one line per file hashed (not answered from the cache).
QStringList hashLog(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
}

// Everything under `root` with size and time, to compare before and after.
QStringList listing(const QString &root)
{
    QStringList lines;
    QDirIterator it(root, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        lines << it.filePath() + " " + QString::number(it.fileInfo().size()) + " "
                     + QString::number(fileMtimeNs(it.filePath()));
    }
    lines.sort();
    return lines;
}

QStringList cacheEntries(const ServerProcess &server, const QString &kind)
{
    return QDir(server.stateDir() + "/manifests").entryList({kind + "-*"}, QDir::Files);
}

QByteArray bytesOf(const proto::Sha256Digest &digest)
{
    return QByteArray(reinterpret_cast<const char *>(digest.data()), int(digest.size()));
}

QByteArray sha256(const QByteArray &data) { return QCryptographicHash::hash(data, QCryptographicHash::Sha256); }

// A version 2 connection to `server`.
bool openVersion2(TestClient &client, const ServerProcess &server)
{
    return client.connectTo(server.host(), server.port()).ok() && client.hello("ferry-tests/2", 2).ok();
}

// The MANIFEST_PAGEs answering a MANIFEST sent earlier, up to the last; false on anything else.
bool readManifest(TestClient &client, std::vector<proto::ManifestPage> &pages)
{
    for (proto::Message reply; client.readMessage(&reply).ok();) {
        auto *page = std::get_if<proto::ManifestPage>(&reply);
        if (!page)
            return false;
        pages.push_back(*page);
        if (page->last)
            return true;
    }
    return false;
}

} // namespace

class TestServerManifest : public QObject {
    Q_OBJECT
private slots:
    void welcomeOffersManifestAndStreams();
    void manifestMatchesTheChunks_data();
    void manifestMatchesTheChunks();
    void refusalsAsForGet();
    void secondManifestComesFromTheCache();
    void fileChangedWhileHashed();
    void twoClientsOneComputation();
    void cacheStaysWithinItsBound();
    void wholeDigestIsCachedOutsideTheRoot();
    void readOnlyRootIsNeverWritten();
    void stateDirInsideTheRootIsRefused();
};

void TestServerManifest::welcomeOffersManifestAndStreams()
{
    TestTree tree;
    ServerProcess server(tree.root(), {"--workers", "1", "--streams-per-client", "3"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(openVersion2(client, server));
    const std::string *chunk = proto::capability(client.welcome(), proto::CapabilityManifest);
    const std::string *streams = proto::capability(client.welcome(), proto::CapabilityStreams);
    QVERIFY(chunk && streams);
    QCOMPARE(*chunk, std::string("4194304"));
    QCOMPARE(*streams, std::string("3"));
    TestClient old; // version 1 sees no capability list
    QVERIFY(old.open(server.host(), server.port()).ok());
    QVERIFY(old.welcome().capabilities.empty());
    QCOMPARE(server.stop(), 0);
}

void TestServerManifest::manifestMatchesTheChunks_data()
{
    QTest::addColumn<qint64>("size");
    QTest::newRow("10 MiB: two whole chunks and a half") << qint64(10 * MiB);
    QTest::newRow("empty") << qint64(0);
    QTest::newRow("exactly one chunk") << qint64(4 * MiB);
}

void TestServerManifest::manifestMatchesTheChunks()
{
    QFETCH(qint64, size);
    TestTree tree;
    const QString file = tree.addFile("f.bin", uint64_t(size), 11);
    QVERIFY(!file.isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(openVersion2(client, server));
    std::vector<proto::ManifestPage> pages;
    const Status status = client.manifest("f.bin", &pages);
    QVERIFY2(status.ok(), qPrintable(status.toString()));
    QCOMPARE(pages.size(), size_t(1));
    const proto::ManifestPage &page = pages.front();
    QCOMPARE(page.fileSize, uint64_t(size));
    QCOMPARE(page.mtimeNs, fileMtimeNs(file));
    QCOMPARE(page.chunkSize, uint32_t(4 * MiB));
    QCOMPARE(qint64(page.chunkCount), (size + qint64(4 * MiB) - 1) / qint64(4 * MiB));
    QCOMPARE(page.first, uint32_t(0));
    QVERIFY(page.last);
    QCOMPARE(page.digests.size(), size_t(page.chunkCount));
    // Entry i is the SHA-256 state after chunk i: continued over the rest it gives the file's SHA-256,
    // and the last entry is that SHA-256 (§10.5).
    const QByteArray content = patternBytes(11, 0, uint64_t(size));
    QByteArray all;
    for (uint32_t i = 0; i < page.chunkCount; ++i) {
        const qint64 end = std::min<qint64>(qint64(i + 1) * qint64(4 * MiB), size);
        QVERIFY2(isStateAt(bytesOf(page.digests[i]), content, end), qPrintable(QString::number(i)));
        all += bytesOf(page.digests[i]);
    }
    if (size > 0)
        QCOMPARE(bytesOf(page.digests.back()).toHex(), sha256(content).toHex());
    QCOMPARE(bytesOf(page.root).toHex(), sha256(all).toHex());
    // The connection goes on: a GET after it names the same file as the manifest does.
    const GetResult body = client.get("f.bin", 0, 1);
    QVERIFY(body.status.ok() && body.body);
    QCOMPARE(body.body->fileSize, page.fileSize);
    QCOMPARE(body.body->mtimeNs, page.mtimeNs);
    QCOMPARE(server.stop(), 0);
}

void TestServerManifest::refusalsAsForGet()
{
    TestTree tree;
    QVERIFY(!tree.addDir("dir").isEmpty());
    QVERIFY(!tree.addFile("f.bin", 100, 1).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(openVersion2(client, server));
    std::vector<proto::ManifestPage> pages;
    QVERIFY(client.manifest("nope.bin", &pages).is(proto::ErrorCode::NotFound));
    QVERIFY(client.manifest("dir", &pages).is(proto::ErrorCode::NotAFile));
    QVERIFY(client.manifest("../outside", &pages).is(proto::ErrorCode::Forbidden));
    QVERIFY(pages.empty());
    QVERIFY(client.manifest("f.bin", &pages).ok()); // still open after each
    TestClient old;
    QVERIFY(old.open(server.host(), server.port()).ok());
    QVERIFY(old.manifest("f.bin", &pages).is(proto::ErrorCode::BadRequest)); // needs version 2
    QCOMPARE(server.stop(), 0);
}

void TestServerManifest::secondManifestComesFromTheCache()
{
    TestTree tree;
    QVERIFY(!tree.addFile("f.bin", 9 * MiB, 5).isEmpty());
    const QString log = tree.base() + "/hash.log";
    ScopedEnv hook("FERRY_TEST_HASH_LOG", log.toLocal8Bit());
    ServerProcess server(tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    std::vector<proto::ManifestPage> first, second;
    for (auto *pages : {&first, &second}) {
        TestClient client; // a new connection each time, perhaps another worker
        QVERIFY(openVersion2(client, server));
        QVERIFY(client.manifest("f.bin", pages).ok());
    }
    QCOMPARE(second, first);
    QCOMPARE(hashLog(log).size(), 1); // the file was read once
    QCOMPARE(cacheEntries(server, "manifest").size(), 1);
    QCOMPARE(server.stop(), 0);
}

void TestServerManifest::fileChangedWhileHashed()
{
    TestTree tree;
    const QString file = tree.addFile("f.bin", 12 * MiB, 9);
    QVERIFY(!file.isEmpty());
    const QString pause = tree.base() + "/hashing";
    ScopedEnv hook("FERRY_TEST_HASH_PAUSE", pause.toLocal8Bit());
    ServerProcess server(tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(openVersion2(client, server));
    QVERIFY(client.send(proto::ManifestRequest{"f.bin"}));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pause), 10000); // the first MiB is hashed, the rest waits
    {
        QFile writer(file); // rewritten in place: same size, new bytes
        QVERIFY(writer.open(QIODevice::ReadWrite));
        QVERIFY(writer.seek(8 * MiB));
        QCOMPARE(writer.write("changed", 7), qint64(7));
    }
    QVERIFY(QFile::remove(pause));
    proto::Message reply;
    QVERIFY(client.readMessage(&reply).ok());
    const auto *error = std::get_if<proto::Error>(&reply);
    QVERIFY2(error, proto::messageTypeName(proto::typeOf(reply)));
    QCOMPARE(error->code, proto::ErrorCode::FileChanged);
    QVERIFY2(QString::fromStdString(error->message).contains("changed while it was being hashed"),
             error->message.c_str());
    QCOMPARE(cacheEntries(server, "manifest").size(), 0); // nothing kept of it
    // Asked again, the file as it is now: the chunk holding the change differs from the original bytes.
    QVERIFY(client.send(proto::ManifestRequest{"f.bin"}));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pause), 10000); // hashed again, not taken from a cache
    QVERIFY(QFile::remove(pause));
    std::vector<proto::ManifestPage> pages;
    QVERIFY(readManifest(client, pages));
    QCOMPARE(pages.front().chunkCount, uint32_t(3));
    const QByteArray original = patternBytes(9, 0, 12 * MiB);
    QVERIFY(!isStateAt(bytesOf(pages.front().digests[2]), original, qint64(12 * MiB)));
    QVERIFY(isStateAt(bytesOf(pages.front().digests[1]), original, qint64(8 * MiB)));
    QCOMPARE(server.stop(), 0);
}

void TestServerManifest::twoClientsOneComputation()
{
    TestTree tree;
    QVERIFY(!tree.addFile("f.bin", 16 * MiB, 2).isEmpty());
    const QString log = tree.base() + "/hash.log", pause = tree.base() + "/hashing";
    ScopedEnv logHook("FERRY_TEST_HASH_LOG", log.toLocal8Bit());
    ScopedEnv pauseHook("FERRY_TEST_HASH_PAUSE", pause.toLocal8Bit());
    ServerProcess server(tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient first, second;
    QVERIFY(openVersion2(first, server) && openVersion2(second, server));
    QVERIFY(first.send(proto::ManifestRequest{"f.bin"}));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pause), 10000); // one worker is hashing, held half-way
    QVERIFY(second.send(proto::ManifestRequest{"f.bin"}));
    // Both workers are on the file: the second waits for the first's result instead of reading it too.
    auto workersOnIt = [&] {
        int count = 0;
        for (const QJsonValue &worker : adminStatus(server.adminSocketPath()).value("workers").toArray())
            count += worker.toObject().value("path").toString() == "f.bin";
        return count;
    };
    QCOMPARE(pollUntil(workersOnIt, [](int count) { return count == 2; }, 10000), 2);
    QVERIFY(QFile::remove(pause));
    std::vector<proto::ManifestPage> a, b;
    QVERIFY(readManifest(first, a));
    QVERIFY(readManifest(second, b));
    QCOMPARE(b, a);
    QCOMPARE(hashLog(log).size(), 1);
    QCOMPARE(server.stop(), 0);
}

void TestServerManifest::cacheStaysWithinItsBound()
{
    TestTree tree;
    for (int i = 0; i < 6; ++i)
        QVERIFY(!tree.addFile(QString("f%1.bin").arg(i), 5 * MiB, quint32(i)).isEmpty());
    // An entry of a 2-chunk manifest is 164 bytes (56 of stamp, 44 of header, 64 of digests): two fit.
    ServerProcess server(tree.root(), {"--workers", "2", "--manifest-cache-size", "400"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(openVersion2(client, server));
    for (int i = 0; i < 6; ++i) {
        std::vector<proto::ManifestPage> pages;
        QVERIFY(client.manifest(QString("f%1.bin").arg(i).toStdString(), &pages).ok());
        qint64 total = 0;
        for (const QFileInfo &entry : QDir(server.stateDir() + "/manifests").entryInfoList({"manifest-*"}, QDir::Files))
            total += entry.size();
        QVERIFY2(total <= 400, qPrintable(QString::number(total)));
    }
    QCOMPARE(cacheEntries(server, "manifest").size(), 2);
    QCOMPARE(server.stop(), 0);
}

void TestServerManifest::wholeDigestIsCachedOutsideTheRoot()
{
    TestTree tree;
    const QString file = tree.addFile("ten.bin", 10 * MiB, 7);
    QVERIFY(!file.isEmpty());
    const QString log = tree.base() + "/hash.log";
    ScopedEnv hook("FERRY_TEST_HASH_LOG", log.toLocal8Bit());
    ServerProcess server(tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    for (int round = 0; round < 2; ++round) {
        TestClient client;
        QVERIFY(client.open(server.host(), server.port()).ok());
        std::string digest;
        const Status status = client.digest("ten.bin", &digest);
        QVERIFY2(status.ok(), qPrintable(status.toString()));
        QCOMPARE(QByteArray::fromStdString(digest).toHex(), fileSha256(file));
    }
    QCOMPARE(hashLog(log).size(), 1); // the second answer came from the cache
    QCOMPARE(cacheEntries(server, "manifest").size(), 1); // the DIGEST is the manifest's last entry
    // A range that is not the whole file is hashed each time and never cached.
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    std::string part;
    for (int round = 0; round < 2; ++round) {
        QVERIFY(client.digest("ten.bin", &part, 0, MiB).ok());
        QCOMPARE(QByteArray::fromStdString(part), sha256(patternBytes(7, 0, MiB)));
    }
    QCOMPARE(hashLog(log).size(), 3); // the range read twice (the hooks see it, as over TLS)
    QCOMPARE(cacheEntries(server, "manifest").size(), 1);
    QCOMPARE(cacheEntries(server, "sha256").size(), 0);
    QCOMPARE(server.stop(), 0);
}

void TestServerManifest::readOnlyRootIsNeverWritten()
{
    TestTree tree;
    QVERIFY(!tree.addFile("a.bin", 5 * MiB + 1, 3).isEmpty());
    QVERIFY(!tree.addFile("sub/b.bin", 4 * MiB, 4).isEmpty());
    QStringList args{"--workers", "2"};
    // Root ignores permissions: it runs the server as nobody, for whom the tree is read-only.
    if (geteuid() == 0) {
        QVERIFY(getpwnam("nobody"));
        args << "--user" << "nobody";
    }
    const auto readOnly = QFile::ReadOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup
                          | QFile::ReadOther | QFile::ExeOther;
    QVERIFY(QFile::setPermissions(tree.base(), readOnly | QFile::WriteOwner));
    for (const QString &path : {tree.path("a.bin"), tree.path("sub/b.bin")})
        QVERIFY(QFile::setPermissions(path, QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther));
    QVERIFY(QFile::setPermissions(tree.path("sub"), readOnly));
    QVERIFY(QFile::setPermissions(tree.root(), readOnly));
    const QStringList before = listing(tree.root());
    ServerProcess server(tree.root(), args);
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(openVersion2(client, server));
    for (const char *path : {"a.bin", "sub/b.bin"}) {
        std::string digest;
        std::vector<proto::ManifestPage> pages;
        const Status status = client.digest(path, &digest);
        QVERIFY2(status.ok(), qPrintable(status.toString() + " " + server.diagnostics()));
        QVERIFY(client.manifest(path, &pages).ok());
    }
    QCOMPARE(server.stop(), 0);
    QCOMPARE(listing(tree.root()), before);
    QCOMPARE(cacheEntries(server, "manifest").size(), 2); // the cache did fill, in the state directory
    const auto writable = readOnly | QFile::WriteOwner;
    QFile::setPermissions(tree.path("sub"), writable); // so that the tree can be removed
    QFile::setPermissions(tree.root(), writable);
}

void TestServerManifest::stateDirInsideTheRootIsRefused()
{
    // Without TLS no identity is kept, but the manifest cache still must not land in the served tree.
    TestTree tree;
    const auto refused = ServerProcess::run({"--root", tree.root(), "--listen", "127.0.0.1:0", "--admin-socket",
                                             "none", "--plaintext", "only", "--state-dir", tree.root() + "/.state"});
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains("is inside the served root"), refused.err.constData());
    QVERIFY(!QFile::exists(tree.path(".state")));
}

QTEST_GUILESS_MAIN(TestServerManifest)
#include "tst_server_manifest.moc"
