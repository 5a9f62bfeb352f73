// Unit tests of the ring that carries a verified download's body bytes to its hashing thread:
// its room as readers release, wrapping at its end, and a ChunkHasher fed many times its ring,
// faster than it hashes (so the bytes wrap, and spill to the heap when the ring is full).
#include "chainentries.h"
#include "clienttesthelpers.h"

#include "client/bytering.h"
#include "client/chunkhasher.h"
#include "client/manifest.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <set>

using namespace ferry::client;

namespace {

using clienttest::patterned;
using clienttest::sha256;

Manifest manifestFor(const QByteArray &content, qint64 chunkSize)
{
    Manifest manifest;
    manifest.fileSize = content.size();
    manifest.chunkSize = chunkSize;
    manifest.digests = ferrytest::chainEntries(content, chunkSize);
    manifest.root = Manifest::rootOf(manifest.digests);
    return manifest;
}

} // namespace

class TestClientHashRing : public QObject
{
    Q_OBJECT
private slots:
    void roomFollowsTheSlowestReader();
    void wrapsAtItsEnd();
    void writableIsWhereTheNextWriteLands();
    void watchedRoomCallsBackOnce();
    void hasherSaysWhenRoomIsBack();
    void hasherTakesManyTimesItsRing();
    void ringIsSizedToTheFile();
};

void TestClientHashRing::roomFollowsTheSlowestReader()
{
    ByteRing ring(100, 2);
    QCOMPARE(ring.room(), qint64(100));
    const char *at = ring.write("0123456789", 10);
    QCOMPARE(QByteArray(at, 10), QByteArray("0123456789"));
    QCOMPARE(ring.room(), qint64(90));
    ring.release(0, 10);
    QCOMPARE(ring.room(), qint64(90)); // reader 1 still holds them
    ring.release(1, 4);
    QCOMPARE(ring.room(), qint64(94));
    ring.release(1, 6);
    QCOMPARE(ring.room(), qint64(100));
}

void TestClientHashRing::wrapsAtItsEnd()
{
    ByteRing ring(16, 1);
    const QByteArray first(12, 'a');
    const char *a = ring.write(first.constData(), 12);
    QCOMPARE(ring.contiguousRoom(), qint64(4)); // the end of the buffer
    ring.release(0, 10);
    QCOMPARE(ring.room(), qint64(14));
    QCOMPARE(ring.contiguousRoom(), qint64(4));
    const char *b = ring.write("bbbb", 4);
    QCOMPARE(b, a + 12);
    QCOMPARE(ring.contiguousRoom(), qint64(10)); // from the start up to the unreleased 2 bytes
    const char *c = ring.write("cccccccccc", 10);
    QCOMPARE(c, a);
    QCOMPARE(ring.room(), qint64(0));
    QCOMPARE(QByteArray(a + 10, 2), QByteArray("aa")); // not overwritten while unreleased
}

// A socket read into writable() is where write() leaves it; bytes from elsewhere are copied there.
void TestClientHashRing::writableIsWhereTheNextWriteLands()
{
    ByteRing ring(16, 1);
    const std::span<char> span = ring.writable(100);
    QCOMPARE(qint64(span.size()), qint64(16));
    std::memcpy(span.data(), "abcdef", 6); // as a read() into it would
    QCOMPARE(ring.write(span.data(), 6), span.data());
    QCOMPARE(ring.room(), qint64(10));
    const std::span<char> next = ring.writable(4);
    QCOMPARE(next.data(), span.data() + 6);
    QCOMPARE(qint64(next.size()), qint64(4));
    const char *copied = ring.write("ghij", 4);
    QCOMPARE(copied, next.data());
    QCOMPARE(QByteArray(span.data(), 10), QByteArray("abcdefghij"));
}

// The release that frees the watched room calls back, once; releases before it, and after it, do not.
void TestClientHashRing::watchedRoomCallsBackOnce()
{
    ByteRing ring(100, 1);
    int calls = 0;
    ring.setRoomCallback([&calls] { ++calls; });
    ring.write(QByteArray(90, 'x').constData(), 90);
    QVERIFY(ring.watchRoom(10)); // there now: no watch
    QVERIFY(!ring.watchRoom(50));
    ring.release(0, 20);
    QCOMPARE(calls, 0); // 30 free
    ring.release(0, 20);
    QCOMPARE(calls, 1); // 50 free
    ring.release(0, 10);
    QCOMPARE(calls, 1);
    QVERIFY(!ring.watchRoom(1000)); // more than the ring: the whole ring
    ring.release(0, 39);
    QCOMPARE(calls, 1); // 99 free
    ring.release(0, 1);
    QCOMPARE(calls, 2);
}

// A ring filled faster than the thread hashes it: awaitRoom() says no, and roomAvailable() comes
// once the thread has caught up, without anyone asking again. Every chunk still reaches its entry.
void TestClientHashRing::hasherSaysWhenRoomIsBack()
{
    QTemporaryDir dir;
    const QByteArray content = patterned(ChunkHasher::RingBytes * 5 / 2);
    const Manifest manifest = manifestFor(content, 1 << 20);
    ChunkHasher hasher(manifest, dir.filePath("f.part"));
    const qint64 ring = hasher.capacity();
    QCOMPARE(ring, ChunkHasher::RingBytes); // the file is larger than the ring
    QSignalSpy chunks(&hasher, &ChunkHasher::chunkHashed);
    QSignalSpy room(&hasher, &ChunkHasher::roomAvailable);
    int waits = 0;
    for (qint64 at = 0; at < content.size(); at += ring / 4) {
        const qint64 size = std::min(ring / 4, content.size() - at);
        if (!hasher.awaitRoom(size)) {
            ++waits;
            QVERIFY(room.wait(10000));
            QVERIFY(hasher.room() >= size);
        }
        hasher.add(at, content.constData() + at, size);
    }
    QTRY_COMPARE(chunks.size(), manifest.chunkCount());
    for (const auto &args : chunks)
        QCOMPARE(args.at(1).toByteArray(), manifest.digests[size_t(args.at(0).toInt())]);
    QVERIFY(waits > 0); // 2.5 rings' worth given a quarter ring at a time: the thread fell behind
    QCOMPARE(room.size(), waits);
}

// 2.5 rings' worth in pieces that do not divide the ring, handed over without waiting for the
// threads: pieces wrap around the ring's end, and the ones it has no room for go to the heap.
// Every chunk must still reach its entry.
void TestClientHashRing::hasherTakesManyTimesItsRing()
{
    QTemporaryDir dir;
    const QByteArray content = patterned(ChunkHasher::RingBytes * 5 / 2 + 12345);
    const Manifest manifest = manifestFor(content, 1 << 20);
    const QString part = dir.filePath("f.part");
    QFile file(part);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
    file.close();

    ChunkHasher hasher(manifest, part);
    QSignalSpy chunks(&hasher, &ChunkHasher::chunkHashed);
    constexpr qint64 Piece = 700 * 1024 + 3;
    for (qint64 at = 0; at < content.size(); at += Piece)
        hasher.add(at, content.constData() + at, std::min(Piece, content.size() - at));
    QTRY_COMPARE(chunks.size(), manifest.chunkCount());
    std::set<int> seen;
    for (const auto &args : chunks) {
        const int index = args.at(0).toInt();
        QCOMPARE(args.at(1).toByteArray(), manifest.digests[size_t(index)]);
        seen.insert(index);
    }
    QCOMPARE(int(seen.size()), manifest.chunkCount());
    QCOMPARE(manifest.fileSha256(), sha256(content)); // every chunk reached its entry, the last one this
    QTRY_COMPARE(hasher.room(), ChunkHasher::RingBytes); // every byte released
}

// A folder of small files must not cost 16 MiB a file; a big one gets the whole ring.
void TestClientHashRing::ringIsSizedToTheFile()
{
    QTemporaryDir dir;
    const QString part = dir.filePath("f.part");
    QCOMPARE(ChunkHasher(manifestFor(patterned(5000), 1024), part).room(), qint64(64 << 10));
    QCOMPARE(ChunkHasher(manifestFor(patterned(300 << 10), 100 << 10), part).room(), qint64(300 << 10));
    QCOMPARE(ChunkHasher(manifestFor(patterned(20 << 20), 4 << 20), part).room(), ChunkHasher::RingBytes);
}

QTEST_GUILESS_MAIN(TestClientHashRing)
#include "tst_clienthashring.moc"
