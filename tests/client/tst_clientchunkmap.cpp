// Unit tests of a verified download's chunk bookkeeping: claiming and releasing runs of chunks, the
// run lists kept in the .part metadata, and the hashing thread against entries (SHA-256 chain states)
// computed here: each chunk checked on its own, a flipped byte or a forged entry refused, and the
// file's SHA-256 the last entry.
#include "chainentries.h"
#include "clienttesthelpers.h"
#include "manifestpages.h"

#include "client/chunkhasher.h"
#include "client/chunkmap.h"
#include "client/manifest.h"
#include "client/partfile.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace ferry::client;
using clienttest::assemble;
using clienttest::pagesFor;
using clienttest::patterned;
using clienttest::sha256;

class TestClientChunkMap : public QObject
{
    Q_OBJECT
private slots:
    void claimsRunsOfMissingChunks();
    void releaseReturnsOnlyUnhashedChunks();
    void badChunkIsRefetchedUpToTheLimit();
    void verifiedRunsRoundTrip_data();
    void verifiedRunsRoundTrip();
    void refusesMalformedRuns_data();
    void refusesMalformedRuns();
    void damagedMetaIsNone_data();
    void damagedMetaIsNone();
    void metaKeepsChunkRecords();
    void hasherReachesEveryEntry();
    void hasherReadsBackFromDisk();
    void flippedByteIsRefused();
    void forgedEntryIsRefused_data();
    void forgedEntryIsRefused();
    void fileSha256IsTheLastEntry();
};

void TestClientChunkMap::claimsRunsOfMissingChunks()
{
    ChunkMap map(10);
    QCOMPARE(map.claim(4), (ChunkRange{0, 4}));
    QCOMPARE(map.claim(4), (ChunkRange{4, 4}));
    QCOMPARE(map.missingCount(), 2);
    QCOMPARE(map.claim(4), (ChunkRange{8, 2}));
    QVERIFY(!map.claim(4));
    QCOMPARE(map.missingCount(), 0);
    QVERIFY(!map.hasMissing());

    ChunkMap holes(10);
    QVERIFY(holes.setVerifiedRuns("0-2,5"));
    QCOMPARE(holes.claim(8), (ChunkRange{3, 2})); // stops at the verified chunk 5
    QCOMPARE(holes.claimAt(7, 2), (ChunkRange{7, 2}));
    QVERIFY(!holes.claimAt(5, 2)); // verified
    QVERIFY(!holes.claimAt(7, 2)); // already claimed
    QCOMPARE(holes.claim(8), (ChunkRange{6, 1}));
    QCOMPARE(holes.claim(8), (ChunkRange{9, 1}));
}

void TestClientChunkMap::releaseReturnsOnlyUnhashedChunks()
{
    ChunkMap map(6);
    const auto range = map.claim(6);
    QVERIFY(range);
    map.markArrived(0);
    map.markVerified(0);
    map.markArrived(1); // being hashed: its digest still comes
    map.release(*range);
    QCOMPARE(map.state(0), ChunkMap::ChunkState::Verified);
    QCOMPARE(map.state(1), ChunkMap::ChunkState::Hashing);
    QCOMPARE(map.state(2), ChunkMap::ChunkState::Missing);
    QCOMPARE(map.claim(10), (ChunkRange{2, 4}));
    QCOMPARE(map.verifiedCount(), 1);
    QVERIFY(!map.isComplete());
}

void TestClientChunkMap::badChunkIsRefetchedUpToTheLimit()
{
    ChunkMap map(3);
    for (int attempt = 1; attempt <= ChunkMap::MaxRefetches; ++attempt) {
        QCOMPARE(map.claim(3)->first, 0);
        map.markArrived(0);
        QVERIFY(map.markBad(0));
        QCOMPARE(map.state(0), ChunkMap::ChunkState::Missing);
        map.release({0, 3});
    }
    QVERIFY(map.claim(1));
    map.markArrived(0);
    QVERIFY(!map.markBad(0)); // one more than the limit: the caller gives up
    QCOMPARE(map.failures(0), ChunkMap::MaxRefetches + 1);
}

void TestClientChunkMap::verifiedRunsRoundTrip_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<QString>("runs");
    QTest::newRow("none") << 5 << "";
    QTest::newRow("all") << 5 << "0-4";
    QTest::newRow("single chunks") << 8 << "1,3,7";
    QTest::newRow("mixed") << 100 << "0-41,43,45-60,99";
}

void TestClientChunkMap::verifiedRunsRoundTrip()
{
    QFETCH(int, count);
    QFETCH(QString, runs);
    ChunkMap map(count);
    QVERIFY(map.setVerifiedRuns(runs));
    QCOMPARE(map.verifiedRuns(), runs);
    QCOMPARE(map.isComplete(), runs == QStringLiteral("0-%1").arg(count - 1));
}

void TestClientChunkMap::refusesMalformedRuns_data()
{
    QTest::addColumn<QString>("runs");
    QTest::newRow("beyond the count") << "0-10";
    QTest::newRow("backwards") << "5-3";
    QTest::newRow("not a number") << "1,x";
    QTest::newRow("three ends") << "1-2-3";
    QTest::newRow("negative") << "-1";
    // verifiedRuns() writes ascending runs without overlap; anything else is damage, and "0-9" a
    // thousand times would cost a step per chunk per run.
    QTest::newRow("overlapping") << "0-5,3";
    QTest::newRow("descending") << "5,1";
    QTest::newRow("repeated") << "0-9,0-9";
}

void TestClientChunkMap::refusesMalformedRuns()
{
    QFETCH(QString, runs);
    ChunkMap map(10);
    QVERIFY(!map.setVerifiedRuns(runs));
    QCOMPARE(map.verifiedCount(), 0);
}

void TestClientChunkMap::damagedMetaIsNone_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("cut short") << QByteArray(R"({"format":1,"url":"ferry://h/f.bin","size":"12)");
    QTest::newRow("no size") << QByteArray(R"({"format":1,"url":"ferry://h/f.bin","mtimeNs":"5"})");
    QTest::newRow("negative size") << QByteArray(R"({"format":1,"size":"-5","mtimeNs":"5"})");
    QTest::newRow("size not a number") << QByteArray(R"({"format":1,"size":"12x","mtimeNs":"5"})");
    QTest::newRow("size as a JSON number") << QByteArray(R"({"format":1,"size":12,"mtimeNs":"5"})");
    QTest::newRow("chunk size off a block")
        << QByteArray(R"({"format":1,"size":"4096","mtimeNs":"5","chunkSize":"1000","verified":"0"})");
    QTest::newRow("chunk size beyond u32")
        << QByteArray(R"({"format":1,"size":"4096","mtimeNs":"5","chunkSize":"8589934592"})");
    // 2^31 − 1 chunks: a ChunkMap of them is 10 GB, for a file whose real manifest the client refuses.
    QTest::newRow("more chunks than a manifest has")
        << QByteArray(R"({"format":1,"size":"137438953408","mtimeNs":"5","chunkSize":"64","verified":"0-9"})");
}

// Metadata that no writer of it leaves behind reads as none (the part starts over), and costs nothing
// on the way: resumableBytes() (a restored queue's progress) builds no chunk map from it.
void TestClientChunkMap::damagedMetaIsNone()
{
    QFETCH(QByteArray, json);
    QTemporaryDir dir;
    const QString path = dir.filePath("f.bin");
    QFile file(PartFile::metaPathFor(path));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(json);
    file.close();
    QVERIFY(!PartFile::readMeta(path));
    QCOMPARE(PartFile::resumableBytes(path), qint64(0)); // no .part: nothing kept
}

void TestClientChunkMap::metaKeepsChunkRecords()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("f.bin");
    const PartMeta meta{"ferry://h/f.bin", 123456789012, 1700000000123456789, 4194304, sha256("x"), "0-3,7"};
    QString error;
    QVERIFY2(PartFile::writeMeta(path, meta, &error), qPrintable(error));
    QCOMPARE(PartFile::readMeta(path), meta);

    // Metadata from before verified downloads reads as "nothing verified yet".
    QFile old(PartFile::metaPathFor(path));
    QVERIFY(old.open(QIODevice::WriteOnly | QIODevice::Truncate));
    old.write(R"({"format":1,"url":"ferry://h/f.bin","size":"10","mtimeNs":"5"})");
    old.close();
    const auto read = PartFile::readMeta(path);
    QVERIFY(read);
    QCOMPARE(read->size, qint64(10));
    QCOMPARE(read->chunkSize, qint64(0));
    QVERIFY(read->verified.isEmpty());
}

namespace {

// `content` as a .part in `dir`.
QString writePart(const QTemporaryDir &dir, const QByteArray &content)
{
    const QString part = dir.filePath("f.part");
    QFile file(part);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
        return {};
    return part;
}

} // namespace

void TestClientChunkMap::hasherReachesEveryEntry()
{
    QTemporaryDir dir;
    const QByteArray content = patterned(5 * 1024 + 300);
    ManifestAssembler assembler;
    QVERIFY(!assemble(pagesFor(content, 1024, 100), assembler));
    const QString part = writePart(dir, content);

    ChunkHasher hasher(assembler.manifest(), part);
    QSignalSpy chunks(&hasher, &ChunkHasher::chunkHashed);
    // Chunk 0 in odd pieces across a boundary, chunk 3 before 1 and 2 (each chunk starts from its
    // own entry, not from the chunk before it in time), then a discarded false start of chunk 4
    // that must not spoil its state.
    hasher.add(0, content.constData(), 700);
    hasher.add(700, content.constData() + 700, 1500);
    hasher.add(3072, content.constData() + 3072, 1024);
    hasher.add(2200, content.constData() + 2200, 872);
    hasher.add(4096, "garbage", 7);
    hasher.discard(4);
    hasher.add(4096, content.constData() + 4096, 1324);
    QTRY_COMPARE(chunks.size(), 6);
    for (const auto &args : chunks) {
        const int index = args.at(0).toInt();
        QCOMPARE(args.at(1).toByteArray().toHex(), assembler.manifest().digests[size_t(index)].toHex());
    }
    QCOMPARE(hasher.backlogBytes(), qint64(0));
}

// A part damaged in chunk 1: chunk 1 misses its entry, and chunk 2, checked from entry 1 (the
// honest state), still matches: one bad chunk costs one chunk.
void TestClientChunkMap::hasherReadsBackFromDisk()
{
    QTemporaryDir dir;
    QByteArray content = patterned(3 * 1024);
    ManifestAssembler assembler;
    QVERIFY(!assemble(pagesFor(content, 1024, 100), assembler));
    content[1500] = char(content[1500] ^ 1);
    const QString part = writePart(dir, content);

    ChunkHasher hasher(assembler.manifest(), part);
    QSignalSpy chunks(&hasher, &ChunkHasher::chunkHashed);
    for (int i = 0; i < 3; ++i)
        hasher.hashFromDisk(i);
    QTRY_COMPARE(chunks.size(), 3);
    QCOMPARE(chunks.at(0).at(1).toByteArray(), assembler.manifest().digests[0]);
    QVERIFY(chunks.at(1).at(1).toByteArray() != assembler.manifest().digests[1]);
    QCOMPARE(chunks.at(2).at(1).toByteArray(), assembler.manifest().digests[2]);
}

// A byte flipped in transit, in a middle chunk and in the last one: that chunk misses its entry;
// the same chunk fetched again whole matches.
void TestClientChunkMap::flippedByteIsRefused()
{
    QTemporaryDir dir;
    const QByteArray content = patterned(4 * 1024 + 10);
    ManifestAssembler assembler;
    QVERIFY(!assemble(pagesFor(content, 1024, 100), assembler));
    const Manifest &manifest = assembler.manifest();
    ChunkHasher hasher(manifest, writePart(dir, content));
    QSignalSpy chunks(&hasher, &ChunkHasher::chunkHashed);
    for (const int index : {1, 4}) {
        QByteArray damaged = content.mid(manifest.chunkOffset(index), manifest.chunkLength(index));
        damaged[5] = char(damaged[5] ^ 0x20);
        hasher.add(manifest.chunkOffset(index), damaged.constData(), damaged.size());
        hasher.add(manifest.chunkOffset(index), content.constData() + manifest.chunkOffset(index),
                   manifest.chunkLength(index));
    }
    QTRY_COMPARE(chunks.size(), 4);
    QCOMPARE(chunks.at(0).at(0).toInt(), 1);
    QVERIFY(chunks.at(0).at(1).toByteArray() != manifest.digests[1]);
    QCOMPARE(chunks.at(1).at(1).toByteArray(), manifest.digests[1]);
    QCOMPARE(chunks.at(2).at(0).toInt(), 4);
    QVERIFY(chunks.at(2).at(1).toByteArray() != manifest.digests[4]);
    QCOMPARE(chunks.at(3).at(1).toByteArray(), manifest.digests[4]);
}

void TestClientChunkMap::forgedEntryIsRefused_data()
{
    QTest::addColumn<int>("forged");
    QTest::addColumn<QList<int>>("refused");
    // A forged entry i is missed by chunk i, and by chunk i + 1, which starts from it.
    QTest::newRow("the last entry (the file's SHA-256)") << 3 << QList<int>{3};
    QTest::newRow("a middle entry") << 1 << QList<int>{1, 2};
    QTest::newRow("the first entry") << 0 << QList<int>{0, 1};
}

// A server (or a mirror) that sends a manifest with one entry changed and its root recomputed to
// match: the manifest is taken, but the true bytes do not reach the forged entry, so the chunks
// that depend on it are refused and the file is never complete; nor can the forged last entry
// become the SHA-256 that ferry-get prints.
void TestClientChunkMap::forgedEntryIsRefused()
{
    QFETCH(int, forged);
    QFETCH(QList<int>, refused);
    QTemporaryDir dir;
    const QByteArray content = patterned(3 * 1024 + 10);
    auto pages = pagesFor(content, 1024, 100);
    pages[0].digests[size_t(forged)][7] = char(pages[0].digests[size_t(forged)][7] ^ 1);
    pages[0].root = Manifest::rootOf(pages[0].digests);
    ManifestAssembler assembler;
    QVERIFY(!assemble(pages, assembler));
    const Manifest &manifest = assembler.manifest();
    ChunkHasher hasher(manifest, writePart(dir, content));
    QSignalSpy chunks(&hasher, &ChunkHasher::chunkHashed);
    hasher.add(0, content.constData(), content.size());
    QTRY_COMPARE(chunks.size(), manifest.chunkCount());
    for (const auto &args : chunks) {
        const int index = args.at(0).toInt();
        QCOMPARE(args.at(1).toByteArray() == manifest.digests[size_t(index)], !refused.contains(index));
    }
    QVERIFY(chunks.last().at(1).toByteArray() == sha256(content)); // what the bytes truly reach
}

void TestClientChunkMap::fileSha256IsTheLastEntry()
{
    ManifestAssembler empty;
    QVERIFY(!assemble(pagesFor(QByteArray(), 4096, 10), empty));
    QCOMPARE(empty.manifest().fileSha256(), sha256(QByteArray()));
    const QByteArray content = patterned(7 * 4096 + 1);
    ManifestAssembler assembler;
    QVERIFY(!assemble(pagesFor(content, 4096, 3), assembler));
    QCOMPARE(assembler.manifest().fileSha256().toHex(), sha256(content).toHex());
}

QTEST_GUILESS_MAIN(TestClientChunkMap)
#include "tst_clientchunkmap.moc"
