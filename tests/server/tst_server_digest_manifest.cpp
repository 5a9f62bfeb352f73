// A whole-file DIGEST and a MANIFEST of the same file version share one read of it (docs/PROTOCOL.md
// §10.5: the manifest's last entry is the file's SHA-256): whichever comes first hashes the file and
// caches its manifest, the other is answered from that entry (FERRY_TEST_HASH_LOG counts the reads).
// The DIGEST equals sha256sum's, for an empty file too; a changed file is hashed again.
#include "scopedenv.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

using namespace ferrytest;

namespace {

constexpr uint64_t MiB = 1024 * 1024;

// One line per request that started reading a file to hash it.
qsizetype hashReads(const QString &log)
{
    QFile file(log);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    return QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts).size();
}

// sha256sum's hex digest of `path`, or a message saying why there is none.
QByteArray sha256sumOf(const QString &path)
{
    QProcess process;
    process.start(QStandardPaths::findExecutable(QStringLiteral("sha256sum")), {path});
    if (!process.waitForFinished(30000) || process.exitCode() != 0)
        return QByteArrayLiteral("sha256sum failed");
    return process.readAllStandardOutput().split(' ').value(0);
}

QStringList cacheEntries(const ServerProcess &server, const QString &kind)
{
    return QDir(server.stateDir() + "/manifests").entryList({kind + "-*"}, QDir::Files);
}

QByteArray hexOf(const std::string &digest) { return QByteArray::fromStdString(digest).toHex(); }
QByteArray hexOf(const proto::Sha256Digest &digest)
{
    return QByteArray(reinterpret_cast<const char *>(digest.data()), int(digest.size())).toHex();
}

} // namespace

class TestServerDigestManifest : public QObject {
    Q_OBJECT

private slots:
    void oneReadServesBoth_data();
    void oneReadServesBoth();
    void emptyFileDigestIsSha256sums();
};

void TestServerDigestManifest::oneReadServesBoth_data()
{
    QTest::addColumn<bool>("digestFirst");
    QTest::newRow("MANIFEST, then DIGEST") << false;
    QTest::newRow("DIGEST, then MANIFEST") << true;
}

void TestServerDigestManifest::oneReadServesBoth()
{
    QFETCH(bool, digestFirst);
    if (QStandardPaths::findExecutable(QStringLiteral("sha256sum")).isEmpty())
        QFAIL("sha256sum (coreutils) is needed");
    TestTree tree;
    const QString file = tree.addFile("f.bin", 9 * MiB + 5, 11); // three chunks, the last one short
    QVERIFY(!file.isEmpty());
    const QString log = tree.base() + "/hash.log";
    ScopedEnv hook("FERRY_TEST_HASH_LOG", log.toLocal8Bit());
    ServerProcess server(tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.connectTo(server.host(), server.port()).ok() && client.hello("ferry-tests/2", 2).ok());
    std::string digest;
    std::vector<proto::ManifestPage> pages;
    if (digestFirst)
        QVERIFY(client.digest("f.bin", &digest).ok());
    QVERIFY(client.manifest("f.bin", &pages).ok());
    if (!digestFirst)
        QVERIFY(client.digest("f.bin", &digest).ok());
    QCOMPARE(hashReads(log), 1); // the second answer came from the first one's cached manifest
    QCOMPARE(hexOf(digest), sha256sumOf(file));
    QVERIFY(!pages.empty() && pages.back().last);
    QCOMPARE(pages.front().chunkCount, 3u);
    QCOMPARE(hexOf(pages.back().digests.back()), sha256sumOf(file));
    QCOMPARE(cacheEntries(server, "manifest").size(), 1);
    QCOMPARE(cacheEntries(server, "sha256").size(), 0); // no second entry holding the same number
    // Another version of the file is another manifest: read again, and the DIGEST follows it.
    QFile writer(file);
    QVERIFY(writer.open(QIODevice::Append));
    QCOMPARE(writer.write("more", 4), qint64(4));
    writer.close();
    QVERIFY(client.digest("f.bin", &digest).ok());
    QCOMPARE(hashReads(log), 2);
    QCOMPARE(hexOf(digest), sha256sumOf(file));
    QCOMPARE(server.stop(), 0);
}

void TestServerDigestManifest::emptyFileDigestIsSha256sums()
{
    if (QStandardPaths::findExecutable(QStringLiteral("sha256sum")).isEmpty())
        QFAIL("sha256sum (coreutils) is needed");
    TestTree tree;
    const QString file = tree.addFile("empty.bin", 0, 1); // a manifest with no entries
    QVERIFY(!file.isEmpty());
    ServerProcess server(tree.root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.connectTo(server.host(), server.port()).ok() && client.hello("ferry-tests/2", 2).ok());
    for (int round = 0; round < 2; ++round) { // made, then from the cache
        std::string digest;
        QVERIFY(client.digest("empty.bin", &digest).ok());
        QCOMPARE(hexOf(digest), sha256sumOf(file));
    }
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestServerDigestManifest)
#include "tst_server_digest_manifest.moc"
