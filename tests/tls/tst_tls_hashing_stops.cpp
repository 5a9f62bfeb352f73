// DIGEST and MANIFEST over TLS that end before their answer, hashed a piece per turn of the worker's
// loop (server/worker/hash_answer.h): a client that goes away, or that the admin disconnects, frees the
// worker at once; a file changed meanwhile is still FILE_CHANGED, and a range cut short is told in the
// words a plaintext worker, which hashes it in one go, uses too. (tst_tls_hashing_turns: hashes that
// hold up no other client and give the file's true digests.)
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"
#include "tlshashing.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include <memory>

using namespace tlstest;
using namespace tlshashing;
using ferrytest::TestTree;

namespace {

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

class TestTlsHashingStops : public QObject
{
    Q_OBJECT
private slots:
    void abandonedHashFreesTheWorker_data();
    void abandonedHashFreesTheWorker();
    void fileChangedWhileHashedInTurns_data();
    void fileChangedWhileHashedInTurns();
    void rangeOfAFileCutShortSaysSoOnBothPaths_data();
    void rangeOfAFileCutShortSaysSoOnBothPaths();
    void rangeStoppedByTheAdminIsNotAnsweredOnBothPaths_data();
    void rangeStoppedByTheAdminIsNotAnsweredOnBothPaths();
};

void TestTlsHashingStops::abandonedHashFreesTheWorker_data()
{
    QTest::addColumn<bool>("byAdmin");
    QTest::newRow("the client goes away") << false;
    QTest::newRow("ferry-ctl disconnect") << true;
}

// A hash nobody waits for any more stops between two pieces: the worker holds nothing of it (no socket,
// no descriptor, no cache lock), long before the hash could have ended, and serves on.
void TestTlsHashingStops::abandonedHashFreesTheWorker()
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

void TestTlsHashingStops::fileChangedWhileHashedInTurns_data()
{
    QTest::addColumn<bool>("manifest");
    QTest::newRow("MANIFEST") << true;
    QTest::newRow("whole-file DIGEST") << false;
}

// The file is stamped before the first piece and after the last: written in between, the answer is
// FILE_CHANGED, and nothing is cached of it.
void TestTlsHashingStops::fileChangedWhileHashedInTurns()
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

void TestTlsHashingStops::rangeOfAFileCutShortSaysSoOnBothPaths_data()
{
    QTest::addColumn<bool>("tls");
    QTest::newRow("TLS: hashed in turns") << true;
    QTest::newRow("plaintext: hashed in one go") << false;
}

// A range DIGEST of a file truncated while it is hashed: over TLS it said "the file became shorter while
// it was being hashed", in plaintext "the file changed while it was being read". One sentence now.
void TestTlsHashingStops::rangeOfAFileCutShortSaysSoOnBothPaths()
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

void TestTlsHashingStops::rangeStoppedByTheAdminIsNotAnsweredOnBothPaths_data()
{
    rangeOfAFileCutShortSaysSoOnBothPaths_data();
}

// A range DIGEST the admin disconnects mid-hash: the connection closes without an answer on both
// paths (a plaintext one was answered FILE_CHANGED "aborted", as if the file had changed), and its
// audit line says INTERRUPTED.
void TestTlsHashingStops::rangeStoppedByTheAdminIsNotAnsweredOnBothPaths()
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

QTEST_GUILESS_MAIN(TestTlsHashingStops)
#include "tst_tls_hashing_stops.moc"
