// Unit tests of a verified download's manifest: assembling it from its pages and refusing the
// inconsistent ones §10.5 names, and the geometry of its chunks.
#include "clienttesthelpers.h"
#include "manifestpages.h"

#include "client/manifest.h"

#include <QTest>

using namespace ferry::client;
using clienttest::assemble;
using clienttest::pagesFor;
using clienttest::patterned;
using clienttest::sha256;

class TestClientManifestAssembly : public QObject
{
    Q_OBJECT
private slots:
    void assemblesPages_data();
    void assemblesPages();
    void refusesInconsistentPages_data();
    void refusesInconsistentPages();
    void chunkGeometry();
};

void TestClientManifestAssembly::assemblesPages_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<int>("chunkSize");
    QTest::addColumn<int>("perPage");
    QTest::newRow("empty file") << qint64(0) << 4096 << 10;
    QTest::newRow("one short chunk") << qint64(100) << 4096 << 10;
    QTest::newRow("exact chunks, one page") << qint64(4 * 4096) << 4096 << 10;
    QTest::newRow("short last chunk, many pages") << qint64(10 * 4096 + 7) << 4096 << 3;
    QTest::newRow("one digest a page") << qint64(5 * 1024) << 1024 << 1;
}

void TestClientManifestAssembly::assemblesPages()
{
    QFETCH(qint64, size);
    QFETCH(int, chunkSize);
    QFETCH(int, perPage);
    const QByteArray content = patterned(size);
    const auto pages = pagesFor(content, quint32(chunkSize), perPage);
    ManifestAssembler assembler;
    const auto refused = assemble(pages, assembler);
    QVERIFY2(!refused, qPrintable(refused.value_or(QString())));
    QVERIFY(assembler.isComplete());
    const Manifest &manifest = assembler.manifest();
    QCOMPARE(manifest.fileSize, size);
    QCOMPARE(manifest.chunkCount(), int((size + chunkSize - 1) / chunkSize));
    for (int i = 0; i < manifest.chunkCount(); ++i) {
        const qint64 end = manifest.chunkOffset(i) + manifest.chunkLength(i);
        QVERIFY(ferrytest::isStateAt(manifest.digests[size_t(i)], content, end));
    }
    QCOMPARE(manifest.fileSha256(), sha256(content));
    if (size == 0)
        QCOMPARE(manifest.root, sha256(QByteArray()));
}

void TestClientManifestAssembly::refusesInconsistentPages_data()
{
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("reason");
    QTest::newRow("size differs on page 2") << "size" << "disagree";
    QTest::newRow("mtime differs on page 2") << "mtime" << "disagree";
    QTest::newRow("root differs on page 2") << "root" << "disagree";
    QTest::newRow("a page skipped") << "skip" << "out of order";
    QTest::newRow("a page twice") << "repeat" << "out of order";
    QTest::newRow("last page too early") << "early-last" << "ended after";
    QTest::newRow("page after the last") << "after-last" << "after the last";
    QTest::newRow("digest of a chunk changed") << "digest" << "root does not match";
    QTest::newRow("chunk count does not fit the size") << "count" << "does not fit";
    QTest::newRow("chunk size 0") << "zero-chunk" << "chunk size is 0";
    QTest::newRow("chunk size off a SHA-256 block") << "odd-chunk" << "not a multiple of 64";
    QTest::newRow("short digest") << "short-digest" << "not a SHA-256";
    QTest::newRow("more digests than chunks") << "extra-digest" << "more chunk digests";
    // A first page's claims cost nothing before they are refused: 2^32 − 1 chunks of a 256 GiB file
    // (a reserve() of them was over 100 GB), a size no file has whose chunk count wrapped to 0.
    QTest::newRow("more chunks than a client takes") << "huge-count" << "more than the 16777216";
    QTest::newRow("a size beyond 2^63 - 1") << "huge-size" << "more than a file can have";
}

void TestClientManifestAssembly::refusesInconsistentPages()
{
    QFETCH(QString, damage);
    QFETCH(QString, reason);
    auto pages = pagesFor(patterned(9 * 1024 + 5), 1024, 3); // 10 chunks on 4 pages
    QCOMPARE(pages.size(), size_t(4));
    if (damage == "size")
        pages[1].fileSize += 1;
    else if (damage == "mtime")
        pages[1].mtimeNs += 1;
    else if (damage == "root")
        pages[1].root[0] = char(pages[1].root[0] ^ 1);
    else if (damage == "skip")
        pages.erase(pages.begin() + 1);
    else if (damage == "repeat")
        pages.insert(pages.begin() + 1, pages[0]);
    else if (damage == "early-last")
        pages[2].last = true;
    else if (damage == "after-last")
        pages.push_back(pages.back());
    else if (damage == "digest")
        pages[2].digests[0][5] = char(pages[2].digests[0][5] ^ 0x40);
    else if (damage == "count")
        for (auto &page : pages)
            page.chunkCount = 11;
    else if (damage == "zero-chunk")
        pages[0].chunkSize = 0;
    else if (damage == "odd-chunk")
        for (auto &page : pages)
            page.chunkSize = 1000; // 10 chunks of 1000 bytes still fit 9221 bytes

    else if (damage == "short-digest")
        pages[1].digests[1].chop(1);
    else if (damage == "extra-digest")
        pages[3].digests.push_back(pages[3].digests[0]);
    else if (damage == "huge-count") {
        pages[0].chunkSize = 64;
        pages[0].chunkCount = UINT32_MAX;
        pages[0].fileSize = quint64(UINT32_MAX) * 64;
    } else if (damage == "huge-size") {
        pages = pagesFor(QByteArray(), 1024, 3); // one last page, no digests, the root of nothing
        pages[0].fileSize = UINT64_MAX; // (2^64 − 1 + 1023) / 1024 wraps to 0 chunks
    }
    ManifestAssembler assembler;
    const auto refused = assemble(pages, assembler);
    QVERIFY(refused);
    QVERIFY2(refused->contains(reason), qPrintable(*refused));
    QVERIFY(!assembler.isComplete());
    QVERIFY(assembler.addPage(pagesFor(patterned(10), 1024, 3)[0])); // spent: nothing more is taken
}

void TestClientManifestAssembly::chunkGeometry()
{
    Manifest manifest;
    manifest.fileSize = 10 * 1000 + 7;
    manifest.chunkSize = 1000;
    manifest.digests.resize(11);
    QCOMPARE(manifest.chunkOffset(3), qint64(3000));
    QCOMPARE(manifest.chunkLength(3), qint64(1000));
    QCOMPARE(manifest.chunkLength(10), qint64(7));
    QCOMPARE(manifest.chunkAt(0), 0);
    QCOMPARE(manifest.chunkAt(999), 0);
    QCOMPARE(manifest.chunkAt(1000), 1);
    QCOMPARE(manifest.chunkAt(10006), 10);
}

QTEST_GUILESS_MAIN(TestClientManifestAssembly)
#include "tst_clientmanifestassembly.moc"
