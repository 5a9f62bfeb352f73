// Manifests and whole-file digests from the real ferry-server (docs/PROTOCOL.md §10; server/manifest):
// the answers match SHA-256s computed here; a second request for an unchanged file is answered from the
// cache in the state directory without reading the file again (FERRY_TEST_HASH_LOG counts the reads);
// the served root, made read-only, is never written; a file rewritten while it is hashed gives
// FILE_CHANGED (FERRY_TEST_HASH_PAUSE holds the hash half-way while the test rewrites it).
#include "adminrequest.h"
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

// Sets an environment variable for the servers this test starts, and takes it away again.
class ScopedEnv {
public:
    ScopedEnv(const char *name, const QByteArray &value) : m_name(name) { qputenv(name, value); }
    ~ScopedEnv() { qunsetenv(m_name); }

private:
    const char *m_name;
};

} // namespace

class TestServerManifest : public QObject {
    Q_OBJECT
private slots:
    void wholeDigestIsCachedOutsideTheRoot();
    void readOnlyRootIsNeverWritten();
    void stateDirInsideTheRootIsRefused();
};

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
    QCOMPARE(cacheEntries(server, "sha256").size(), 1);
    // A range that is not the whole file is hashed each time and never cached.
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    std::string part;
    QVERIFY(client.digest("ten.bin", &part, 0, MiB).ok());
    QCOMPARE(QByteArray::fromStdString(part), QCryptographicHash::hash(patternBytes(7, 0, MiB), QCryptographicHash::Sha256));
    QCOMPARE(hashLog(log).size(), 1);
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
    QVERIFY(client.open(server.host(), server.port()).ok());
    for (const char *path : {"a.bin", "sub/b.bin"}) {
        std::string digest;
        const Status status = client.digest(path, &digest);
        QVERIFY2(status.ok(), qPrintable(status.toString() + " " + server.diagnostics()));
    }
    QCOMPARE(server.stop(), 0);
    QCOMPARE(listing(tree.root()), before);
    QCOMPARE(cacheEntries(server, "sha256").size(), 2); // the cache did fill, in the state directory
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
