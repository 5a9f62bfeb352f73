// Verified downloads against the real ferry-server (PROTOCOL.md §10): every chunk checked against
// the manifest, damage in transit or at the source caught, resume keeping good chunks, segments,
// and mirrors that share the work, die, or hold other content.
#include "clienttesthelpers.h"
#include "corruptingrelay.h"
#include "serverprocess.h"
#include "testtree.h"

#include "client/chunkmap.h"
#include "client/partfile.h"

#include <QFile>
#include <QFileInfo>
#include <QScopeGuard>
#include <QTemporaryDir>

#include <fcntl.h>
#include <sys/stat.h>

using namespace ferry::client;
using namespace clienttest;
using ferrytest::CorruptingRelay;
using ferrytest::TestTree;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr qint64 Chunk = 4 * MiB; // the server's chunk size (PROTOCOL.md §10.1, `manifest`)

QString finishedWithContent(DownloadQueue &queue, const DownloadJob *job, const QString &remote)
{
    if (!waitForIdle(queue, 90000))
        return QStringLiteral("still busy after 90 s: ") + describe(job);
    if (job->state() != DownloadJob::State::Done)
        return describe(job);
    QString why;
    return ferrytest::sameContent(remote, job->localPath(), &why) ? QString() : why;
}

bool setMtimeNs(const QString &path, int64_t ns)
{
    const timespec when{time_t(ns / 1000000000), long(ns % 1000000000)};
    const timespec times[2] = {when, when};
    return ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, 0) == 0;
}

// Inverts the byte at `offset` of `path` in place and gives the file its mtime back, so
// size and mtime still say "unchanged": only the content can tell.
bool flipByteKeepingMtime(const QString &path, qint64 offset)
{
    const int64_t mtime = ferrytest::fileMtimeNs(path);
    QFile file(path);
    if (!file.open(QIODevice::ReadWrite) || !file.seek(offset))
        return false;
    char byte = 0;
    if (file.read(&byte, 1) != 1 || !file.seek(offset))
        return false;
    byte = char(~byte);
    const bool written = file.write(&byte, 1) == 1;
    file.close();
    return written && setMtimeNs(path, mtime);
}

QStringList serverArgs(const QString &rate, int streams)
{
    QStringList args{QStringLiteral("--streams-per-client"), QString::number(streams)};
    if (!rate.isEmpty())
        args << QStringLiteral("--rate-limit") << rate;
    return args;
}

} // namespace

class TestClientVerified : public QObject
{
    Q_OBJECT
private slots:
    void segmentedDownloadIsVerified();
    void byteFlippedInTransitIsFetchedAgain();
    void damageAtTheSourceFailsKeepingGoodChunks();
    void partDamagedInTheMiddleKeepsGoodChunks();
    void pauseKeepsVerifiedChunks();
    void hashingSlowerThanTheNetworkStillVerifies_data();
    void hashingSlowerThanTheNetworkStillVerifies();
    void mirrorsShareTheWork();
    void killedMirrorIsDroppedOthersFinish();
    void mirrorWithOtherContentIsRefused();
    void expectedSha256IsChecked();
    void versionOneServerKeepsTheUnverifiedPath();
};

void TestClientVerified::segmentedDownloadIsVerified()
{
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("big.bin"), uint64_t(5 * Chunk + 12345), 7);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root(), serverArgs(QStringLiteral("8M"), 4));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    CorruptingRelay relay(server.host(), server.port()); // only counts here
    QVERIFY(relay.listen());

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    DownloadJob *job = queue.addFile(urlFor(relay.host(), relay.port(), QStringLiteral("big.bin")), dest.path());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(job->isVerified());
    QCOMPARE(job->sha256().toHex(), ferrytest::fileSha256(remote));
    QCOMPARE(job->statusText(), QStringLiteral("Verified"));
    QCOMPARE(relay.connections(), 4); // the server's `streams`, one connection each
    QVERIFY(!QFile::exists(job->partPath()));
    QVERIFY(!QFile::exists(PartFile::metaPathFor(job->localPath())));
}

void TestClientVerified::byteFlippedInTransitIsFetchedAgain()
{
    TestTree tree;
    const qint64 size = 4 * Chunk;
    const QString remote = tree.addFile(QStringLiteral("f.bin"), uint64_t(size), 3);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root(), serverArgs(QString(), 1));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    CorruptingRelay relay(server.host(), server.port());
    relay.flipByteAt(6 * MiB, 1); // in chunk 1 of the one connection's body
    QVERIFY(relay.listen());

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    DownloadJob *job = queue.addFile(urlFor(relay.host(), relay.port(), QStringLiteral("f.bin")), dest.path());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(relay.flips(), 1);
    QVERIFY(job->isVerified());
    QCOMPARE(job->sha256().toHex(), ferrytest::fileSha256(remote)); // of the good bytes, not the first
    // The damaged chunk came twice, nothing else did.
    QVERIFY2(relay.bytesToClients() >= size + Chunk && relay.bytesToClients() < size + 2 * Chunk,
             qPrintable(QString::number(relay.bytesToClients())));
}

void TestClientVerified::damageAtTheSourceFailsKeepingGoodChunks()
{
    TestTree tree;
    const qint64 size = 5 * Chunk;
    const QString remote = tree.addFile(QStringLiteral("src.bin"), uint64_t(size), 5);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root(), serverArgs(QStringLiteral("6M"), 1));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("src.bin")), dest.path());
    // Once the manifest is in, the last chunk goes bad on the server's disk.
    QTRY_VERIFY_WITH_TIMEOUT(job->state() == DownloadJob::State::Transferring, 20000);
    QVERIFY(flipByteKeepingMtime(remote, 4 * Chunk + 100));
    QVERIFY(waitForIdle(queue, 90000));
    QCOMPARE(job->state(), DownloadJob::State::Failed);
    QVERIFY2(job->errorString().contains(QLatin1String("damaged in transit or at the source")),
             qPrintable(job->errorString()));
    QVERIFY(!QFile::exists(job->localPath())); // never an unverified file in place
    const auto meta = PartFile::readMeta(job->localPath());
    QVERIFY(meta);
    QCOMPARE(meta->verified, QStringLiteral("0-3")); // the good chunks are kept

    // Repaired at the source: a retry fetches only the chunk that was bad.
    QVERIFY(flipByteKeepingMtime(remote, 4 * Chunk + 100));
    queue.retry(job->id());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(job->resumedFrom(), 4 * Chunk);
}

void TestClientVerified::partDamagedInTheMiddleKeepsGoodChunks()
{
    TestTree tree;
    const qint64 size = 5 * Chunk;
    const QString remote = tree.addFile(QStringLiteral("p.bin"), uint64_t(size), 9);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root(), serverArgs(QString(), 1));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    CorruptingRelay relay(server.host(), server.port());
    QVERIFY(relay.listen());

    // A part of three chunks, as the unverified path leaves it (no chunk records), with a
    // byte of chunk 1 damaged on disk.
    QTemporaryDir dest;
    const QString target = QDir(dest.path()).filePath(QStringLiteral("p.bin"));
    const FerryUrl url = urlFor(relay.host(), relay.port(), QStringLiteral("p.bin"));
    QVERIFY(ferrytest::writePatternFile(PartFile::partPathFor(target), uint64_t(3 * Chunk), 9));
    QVERIFY(flipByteKeepingMtime(PartFile::partPathFor(target), Chunk + 777));
    PartMeta meta;
    meta.url = url.toString();
    meta.size = size;
    meta.mtimeNs = ferrytest::fileMtimeNs(remote);
    QString error;
    QVERIFY2(PartFile::writeMeta(target, meta, &error), qPrintable(error));

    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    queue.setExistingFilePolicy(ExistingFilePolicy::Overwrite);
    DownloadJob *job = queue.addFileAs(url, target);
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(job->sha256().toHex(), ferrytest::fileSha256(remote));
    // Chunks 0 and 2 were kept; 1, 3 and 4 were fetched.
    QVERIFY2(relay.bytesToClients() >= 3 * Chunk && relay.bytesToClients() < 3 * Chunk + MiB,
             qPrintable(QString::number(relay.bytesToClients())));
}

void TestClientVerified::pauseKeepsVerifiedChunks()
{
    TestTree tree;
    const qint64 size = 8 * Chunk;
    const QString remote = tree.addFile(QStringLiteral("pause.bin"), uint64_t(size), 11);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root(), serverArgs(QStringLiteral("4M"), 4));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("pause.bin")), dest.path());
    // Four segments at 4 MB/s each: a few seconds in, each has verified a chunk or so.
    QTRY_VERIFY_WITH_TIMEOUT(PartFile::resumableBytes(job->localPath()) >= 3 * Chunk, 30000);
    queue.pause(job->id());
    QCOMPARE(job->state(), DownloadJob::State::Paused);
    const qint64 kept = PartFile::resumableBytes(job->localPath());
    QVERIFY(kept >= 3 * Chunk && kept < size);
    queue.resume(job->id());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY2(job->resumedFrom() >= kept, qPrintable(QString::number(job->resumedFrom())));
}

void TestClientVerified::hashingSlowerThanTheNetworkStillVerifies_data()
{
    QTest::addColumn<int>("streams");
    QTest::newRow("one connection") << 1;
    QTest::newRow("four connections") << 4;
}

// A hashing ring of 32 KiB (the test builds' FERRY_TEST_HASH_RING_BYTES) where a socket read takes up
// to 1 MiB: on any machine the hashing thread is the slower side, and every few blocks the reader
// stops until it is told that the ring has room again. A lost wake-up stalls the download (the
// stall timer is off while the reader waits on its own side), and the file must come out whole.
void TestClientVerified::hashingSlowerThanTheNetworkStillVerifies()
{
    QFETCH(int, streams);
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("slow.bin"), uint64_t(6 * Chunk + 4321), 14);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root(), serverArgs(QString(), streams));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    qputenv("FERRY_TEST_HASH_RING_BYTES", "32768");
    const auto restore = qScopeGuard([] { qunsetenv("FERRY_TEST_HASH_RING_BYTES"); });
    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("slow.bin")), dest.path());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(job->isVerified());
    QCOMPARE(job->sha256().toHex(), ferrytest::fileSha256(remote));
}

void TestClientVerified::mirrorsShareTheWork()
{
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("m.bin"), uint64_t(6 * Chunk + 99), 13);
    QVERIFY(!remote.isEmpty());
    std::vector<std::unique_ptr<ServerProcess>> servers;
    std::vector<std::unique_ptr<CorruptingRelay>> relays;
    for (int i = 0; i < 3; ++i) {
        servers.push_back(std::make_unique<ServerProcess>(tree.root(), serverArgs(QStringLiteral("4M"), 1)));
        QVERIFY2(servers.back()->start(), qPrintable(servers.back()->diagnostics()));
        relays.push_back(std::make_unique<CorruptingRelay>(servers.back()->host(), servers.back()->port()));
        QVERIFY(relays.back()->listen());
    }
    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    const FerryUrl first = urlFor(relays[0]->host(), relays[0]->port(), QStringLiteral("m.bin"));
    queue.setMirrors(first, {urlFor(relays[1]->host(), relays[1]->port(), QString()),
                             urlFor(relays[2]->host(), relays[2]->port(), QString())});
    DownloadJob *job = queue.addFile(first, dest.path());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(job->droppedSources().isEmpty());
    for (const auto &relay : relays) // every server sent at least one chunk
        QVERIFY2(relay->bytesToClients() > Chunk, qPrintable(QString::number(relay->bytesToClients())));
}

void TestClientVerified::killedMirrorIsDroppedOthersFinish()
{
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("k.bin"), uint64_t(9 * Chunk), 17);
    QVERIFY(!remote.isEmpty());
    std::vector<std::unique_ptr<ServerProcess>> servers;
    for (int i = 0; i < 3; ++i) {
        servers.push_back(std::make_unique<ServerProcess>(tree.root(), serverArgs(QStringLiteral("3M"), 1)));
        QVERIFY2(servers.back()->start(), qPrintable(servers.back()->diagnostics()));
    }
    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    const FerryUrl first = urlFor(servers[0]->host(), servers[0]->port(), QStringLiteral("k.bin"));
    queue.setMirrors(first, {urlFor(servers[1]->host(), servers[1]->port(), QString()),
                             urlFor(servers[2]->host(), servers[2]->port(), QString())});
    DownloadJob *job = queue.addFile(first, dest.path());
    QVERIFY2(downloadUntil(job, 2 * Chunk, 30000), qPrintable(describe(job)));
    const quint16 killedPort = servers[1]->port();
    servers[1]->kill();
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(job->isVerified());
    QCOMPARE(job->droppedSources().size(), 1);
    QVERIFY2(job->droppedSources().first().contains(QStringLiteral(":%1:").arg(killedPort)),
             qPrintable(job->droppedSources().join(u'\n')));
}

void TestClientVerified::mirrorWithOtherContentIsRefused()
{
    TestTree tree;
    TestTree other;
    const qint64 size = 3 * Chunk + 5;
    const QString remote = tree.addFile(QStringLiteral("same/name.bin"), uint64_t(size), 21);
    QVERIFY(!remote.isEmpty());
    QVERIFY(!other.addFile(QStringLiteral("same/name.bin"), uint64_t(size), 22).isEmpty());
    ServerProcess good(tree.root(), serverArgs(QStringLiteral("8M"), 1));
    ServerProcess bad(other.root(), serverArgs(QString(), 1));
    QVERIFY2(good.start(), qPrintable(good.diagnostics()));
    QVERIFY2(bad.start(), qPrintable(bad.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    const FerryUrl first = urlFor(good.host(), good.port(), QStringLiteral("same/name.bin"));
    queue.setMirrors(first, {urlFor(bad.host(), bad.port(), QString())});
    DownloadJob *job = queue.addFile(first, dest.path());
    QSignalSpy dropped(job, &DownloadJob::sourceDropped);
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(dropped.size(), 1);
    QVERIFY2(job->droppedSources().value(0).contains(QLatin1String("different content")),
             qPrintable(job->droppedSources().join(u'\n')));
}

void TestClientVerified::expectedSha256IsChecked()
{
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("s.bin"), uint64_t(Chunk + 3), 23);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root(), serverArgs(QString(), 2));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    DownloadJob *wrong = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("s.bin")), dest.path());
    wrong->setExpectedSha256(QByteArray(32, '\x42'));
    QVERIFY(waitForIdle(queue, 30000));
    QCOMPARE(wrong->state(), DownloadJob::State::Failed);
    QVERIFY2(wrong->errorString().contains(QLatin1String("not the expected")), qPrintable(wrong->errorString()));
    QVERIFY(!QFile::exists(wrong->localPath()));
    QVERIFY(QFile::exists(wrong->partPath()));

    wrong->setExpectedSha256(QByteArray::fromHex(ferrytest::fileSha256(remote)));
    queue.retry(wrong->id());
    const QString problem = finishedWithContent(queue, wrong, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

// A server from before version 2 refuses the HELLO; the client says version 1 from then on and
// downloads as it always did, checked by size and mtime, not claimed as verified.
void TestClientVerified::versionOneServerKeepsTheUnverifiedPath()
{
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("old.bin"), uint64_t(2 * Chunk + 9), 25);
    QVERIFY(!remote.isEmpty());
    ServerProcess server(tree.root(), serverArgs(QString(), 4));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    CorruptingRelay relay(server.host(), server.port());
    relay.refuseVersion2();
    QVERIFY(relay.listen());

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    const FerryUrl url = urlFor(relay.host(), relay.port(), QStringLiteral("old.bin"));
    DownloadJob *job = queue.addFile(url, dest.path());
    const QString problem = finishedWithContent(queue, job, remote);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(!job->isVerified());
    QVERIFY(job->sha256().isEmpty());
    QCOMPARE(relay.version2Refused(), 1);
    QCOMPARE(relay.connections(), 2); // refused, then one version 1 connection: no segments

    DownloadJob *again = queue.addFile(url, dest.path()); // the server is known to be old now
    QVERIFY(waitForIdle(queue, 30000));
    QCOMPARE(again->state(), DownloadJob::State::Done);
    QCOMPARE(relay.version2Refused(), 1);
}

QTEST_GUILESS_MAIN(TestClientVerified)
#include "tst_clientverified.moc"
