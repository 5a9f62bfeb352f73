// Chunk manifests (server/manifest): the entries (SHA-256 chain states) and root of docs/PROTOCOL.md
// §10.5 against SHA-256s computed here with Qt, at the edges of the chunk size (empty, one byte, an exact
// multiple, one byte over); chunk sizes off a 64-byte block refused; a file that changes while it is
// hashed (written, shrunk, touched) gives FileChanged; the cache entry codec refuses what is not a
// manifest of that file; the eviction policy's table.
#include "manifest/cache_eviction.h"
#include "manifest/manifest.h"
#include "manifest/manifest_codec.h"
#include "worker/request_handler.h"

#include "chainentries.h"

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ferry::server;
using namespace ferry::server::manifest;

namespace {

constexpr qint64 Chunk = DefaultChunkSize;

QByteArray pattern(qint64 size)
{
    QByteArray data(size, '\0');
    for (qint64 i = 0; i < size; ++i)
        data[i] = char((i * 7 + i / 4093) & 0xff); // no two chunks alike
    return data;
}

QByteArray toBytes(const Digest &digest) { return QByteArray(reinterpret_cast<const char *>(digest.data()), 32); }

QByteArray sha(const QByteArray &data) { return QCryptographicHash::hash(data, QCryptographicHash::Sha256); }

// The file, written and reopened read-only as the worker opens it.
UniqueFd writeFile(const QString &path, const QByteArray &data)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size())
        return UniqueFd();
    file.close();
    return UniqueFd(::open(path.toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC));
}

const Progress Always = [](uint64_t) { return true; };

// The problem's message, or "" for a result that holds a value (QVERIFY2 evaluates its message first).
template <typename T>
const char *whyNot(const Result<T> &result)
{
    const auto *problem = std::get_if<Problem>(&result);
    return problem ? problem->message.c_str() : "";
}

} // namespace

class TestManifest : public QObject {
    Q_OBJECT
private slots:
    void chunksAndRoot_data();
    void chunksAndRoot();
    void wholeDigest();
    void changedWhileHashed_data();
    void changedWhileHashed();
    void abortStops();
    void tooManyChunksIsRefused();
    void chunkSizeOffABlockIsRefused();
    void codecRoundTrip();
    void codecRefuses_data();
    void codecRefuses();
    void eviction_data();
    void eviction();
    void pages_data();
    void pages();
    void specVector();
};

void TestManifest::chunksAndRoot_data()
{
    QTest::addColumn<qint64>("size");
    QTest::newRow("empty") << qint64(0);
    QTest::newRow("one byte") << qint64(1);
    QTest::newRow("one byte short of a chunk") << Chunk - 1;
    QTest::newRow("exactly one chunk") << Chunk;
    QTest::newRow("exact multiple (2 chunks)") << 2 * Chunk;
    QTest::newRow("one byte over (3 chunks)") << 2 * Chunk + 1;
}

void TestManifest::chunksAndRoot()
{
    QFETCH(qint64, size);
    QTemporaryDir dir;
    const QByteArray data = pattern(size);
    const UniqueFd fd = writeFile(dir.filePath("f"), data);
    QVERIFY(fd.isValid());
    uint64_t lastProgress = 0;
    Result<Manifest> result = computeManifest(fd, DefaultChunkSize, [&](uint64_t done) {
        lastProgress = done;
        return true;
    });
    QVERIFY2(std::holds_alternative<Manifest>(result), whyNot(result));
    const Manifest &manifest = std::get<Manifest>(result);
    QCOMPARE(manifest.stamp.size, uint64_t(size));
    QCOMPARE(manifest.chunkSize, DefaultChunkSize);
    QCOMPARE(qint64(manifest.chunks.size()), (size + Chunk - 1) / Chunk);
    QByteArray concatenated;
    for (qint64 i = 0; i * Chunk < size; ++i) {
        // Entry i, continued over the rest of the file, gives its SHA-256; the last one is it.
        const QByteArray entry = toBytes(manifest.chunks[size_t(i)]);
        QVERIFY2(ferrytest::isStateAt(entry, data, std::min(size, (i + 1) * Chunk)), qPrintable(QString::number(i)));
        concatenated += entry;
    }
    if (size > 0)
        QCOMPARE(toBytes(manifest.chunks.back()).toHex(), sha(data).toHex());
    // The root is over the entries, so an empty file's root is the SHA-256 of no bytes.
    QCOMPARE(toBytes(manifest.root).toHex(), sha(concatenated).toHex());
    QCOMPARE(lastProgress, uint64_t(size));
    struct stat info {};
    QCOMPARE(fstat(fd.get(), &info), 0);
    QCOMPARE(manifest.stamp, stampOf(info));
}

void TestManifest::wholeDigest()
{
    QTemporaryDir dir;
    const QByteArray data = pattern(Chunk + 12345);
    const UniqueFd fd = writeFile(dir.filePath("f"), data);
    Result<WholeDigest> result = computeWholeDigest(fd, Always);
    QVERIFY(std::holds_alternative<WholeDigest>(result));
    QCOMPARE(toBytes(std::get<WholeDigest>(result).digest).toHex(), sha(data).toHex());
}

void TestManifest::changedWhileHashed_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<QString>("message");
    QTest::newRow("a byte rewritten in place") << "write" << "modification time";
    QTest::newRow("shrunk") << "truncate" << "shorter";
    QTest::newRow("only touched back to its old mtime") << "touch" << "status change time";
}

void TestManifest::changedWhileHashed()
{
    QFETCH(QString, change);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString path = dir.filePath("f");
    const UniqueFd fd = writeFile(path, pattern(3 * Chunk));
    struct stat before {};
    QCOMPARE(fstat(fd.get(), &before), 0);
    UniqueFd writer(::open(path.toLocal8Bit().constData(), O_WRONLY | O_CLOEXEC));
    QVERIFY(writer.isValid());
    bool changed = false;
    // Once the first chunk is hashed, another process would change the file; here the callback does.
    Result<Manifest> result = computeManifest(fd, DefaultChunkSize, [&](uint64_t done) {
        if (done < uint64_t(Chunk) || changed)
            return true;
        changed = true;
        usleep(10'000); // let the clock move, so the change is visible in the file's times
        if (change == "write")
            return pwrite(writer.get(), "!", 1, 2 * Chunk) == 1;
        if (change == "truncate")
            return ftruncate(writer.get(), Chunk + 10) == 0;
        const timespec times[2] = {before.st_atim, before.st_mtim}; // mtime put back as it was: ctime moves
        return futimens(writer.get(), times) == 0;
    });
    QVERIFY(changed);
    QVERIFY(std::holds_alternative<Problem>(result));
    QCOMPARE(std::get<Problem>(result).failure, Failure::FileChanged);
    QVERIFY2(QString::fromStdString(std::get<Problem>(result).message).contains(message), whyNot(result));
}

void TestManifest::abortStops()
{
    QTemporaryDir dir;
    const UniqueFd fd = writeFile(dir.filePath("f"), pattern(2 * Chunk));
    int calls = 0;
    Result<Manifest> result = computeManifest(fd, DefaultChunkSize, [&](uint64_t) { return ++calls < 3; });
    QVERIFY(std::holds_alternative<Problem>(result));
    QCOMPARE(std::get<Problem>(result).failure, Failure::Aborted);
    QCOMPARE(calls, 3); // stopped at once, not at the end of the file
}

void TestManifest::tooManyChunksIsRefused()
{
    // Chunks of one block (64 bytes) stand in for a file of more than 16 TiB: refused before a byte is
    // read. The file is sparse: its 256 MiB take no room.
    QTemporaryDir dir;
    const UniqueFd fd = writeFile(dir.filePath("f"), QByteArray());
    UniqueFd writer(::open(dir.filePath("f").toLocal8Bit().constData(), O_WRONLY | O_CLOEXEC));
    QCOMPARE(ftruncate(writer.get(), off_t(MaxChunks + 1) * 64), 0);
    bool read = false;
    Result<Manifest> result = computeManifest(fd, 64, [&read](uint64_t) { return !(read = true); });
    QVERIFY(std::holds_alternative<Problem>(result));
    QCOMPARE(std::get<Problem>(result).failure, Failure::TooLarge);
    QVERIFY(!read);
    QCOMPARE(ftruncate(writer.get(), 64 * 1024 + 5), 0);
    QVERIFY(std::holds_alternative<Manifest>(computeManifest(fd, 4096, Always)));
}

// A chunk that ends inside a SHA-256 block has no chain state at its end.
void TestManifest::chunkSizeOffABlockIsRefused()
{
    QTemporaryDir dir;
    const UniqueFd fd = writeFile(dir.filePath("f"), pattern(1000));
    Result<Manifest> result = computeManifest(fd, 100, Always);
    QVERIFY(std::holds_alternative<Problem>(result));
    QCOMPARE(std::get<Problem>(result).failure, Failure::Internal);
    QVERIFY2(QString::fromStdString(std::get<Problem>(result).message).contains("not a multiple of 64"),
             whyNot(result));
}

void TestManifest::codecRoundTrip()
{
    QTemporaryDir dir;
    const UniqueFd fd = writeFile(dir.filePath("f"), pattern(Chunk + 1));
    Manifest manifest = std::get<Manifest>(computeManifest(fd, DefaultChunkSize, Always));
    const std::string payload = encodeManifest(manifest);
    QCOMPARE(payload.size(), size_t(4 + 8 + 32 + 2 * 32));
    std::optional<Manifest> decoded = decodeManifest(payload, manifest.stamp, DefaultChunkSize);
    QVERIFY(decoded);
    QCOMPARE(*decoded, manifest);
    Digest digest{};
    digest[0] = 0xab;
    QCOMPARE(decodeDigest(encodeDigest(digest)), std::optional<Digest>(digest));
    QVERIFY(!decodeDigest(encodeDigest(digest).substr(1)));
}

void TestManifest::codecRefuses_data()
{
    QTest::addColumn<QString>("damage");
    QTest::newRow("a digest flipped (root no longer matches)") << "flip";
    QTest::newRow("cut short") << "cut";
    QTest::newRow("another chunk size") << "chunk size";
    QTest::newRow("a file of another size") << "size";
}

void TestManifest::codecRefuses()
{
    QFETCH(QString, damage);
    QTemporaryDir dir;
    const UniqueFd fd = writeFile(dir.filePath("f"), pattern(2 * Chunk + 1));
    Manifest manifest = std::get<Manifest>(computeManifest(fd, DefaultChunkSize, Always));
    std::string payload = encodeManifest(manifest);
    FileStamp stamp = manifest.stamp;
    uint32_t chunkSize = DefaultChunkSize;
    if (damage == "flip")
        payload[payload.size() - 40] ^= 1;
    else if (damage == "cut")
        payload.resize(payload.size() - 32);
    else if (damage == "chunk size")
        chunkSize = 1u << 20;
    else
        stamp.size = 5 * Chunk;
    QVERIFY(!decodeManifest(payload, stamp, chunkSize));
}

void TestManifest::eviction_data()
{
    QTest::addColumn<QList<int>>("sizes");  // entry i is named "e<i>", last used at time 100 - i (e0 newest)
    QTest::addColumn<int>("bound");
    QTest::addColumn<QString>("keep");
    QTest::addColumn<QStringList>("evicted");
    QTest::newRow("within the bound") << QList<int>{10, 10, 10} << 30 << "" << QStringList{};
    QTest::newRow("oldest goes first") << QList<int>{10, 10, 10} << 25 << "" << QStringList{"e2"};
    QTest::newRow("as many as it takes") << QList<int>{10, 10, 10} << 10 << "" << QStringList{"e2", "e1"};
    QTest::newRow("the kept entry stays, though old")
        << QList<int>{10, 10, 10} << 15 << "e2" << QStringList{"e1", "e0"};
    QTest::newRow("empty cache") << QList<int>{} << 0 << "" << QStringList{};
    QTest::newRow("bound 0 empties it") << QList<int>{1, 1} << 0 << "" << QStringList{"e1", "e0"};
}

void TestManifest::eviction()
{
    QFETCH(QList<int>, sizes);
    QFETCH(int, bound);
    QFETCH(QString, keep);
    QFETCH(QStringList, evicted);
    std::vector<CachedEntry> entries;
    for (int i = 0; i < sizes.size(); ++i)
        entries.push_back({"e" + std::to_string(i), uint64_t(sizes[i]), 100 - i});
    QStringList chosen;
    for (const std::string &name : entriesToEvict(entries, uint64_t(bound), keep.toStdString()))
        chosen << QString::fromStdString(name);
    QCOMPARE(chosen, evicted);
}

void TestManifest::pages_data()
{
    QTest::addColumn<int>("chunks");
    QTest::addColumn<int>("perPage");
    QTest::addColumn<QList<int>>("pageSizes");
    QTest::newRow("empty file: one empty last page") << 0 << 4 << QList<int>{0};
    QTest::newRow("fits one page") << 3 << 4 << QList<int>{3};
    QTest::newRow("exactly one page") << 4 << 4 << QList<int>{4};
    QTest::newRow("one over") << 5 << 4 << QList<int>{4, 1};
    QTest::newRow("three pages") << 9 << 4 << QList<int>{4, 4, 1};
}

void TestManifest::pages()
{
    QFETCH(int, chunks);
    QFETCH(int, perPage);
    QFETCH(QList<int>, pageSizes);
    Manifest manifest;
    manifest.stamp.size = uint64_t(chunks) * DefaultChunkSize;
    manifest.stamp.mtimeNs = 1234;
    for (int i = 0; i < chunks; ++i)
        manifest.chunks.push_back(Digest{uint8_t(i)});
    QVERIFY(rootOf(manifest.chunks, manifest.root));
    size_t first = 0;
    for (int i = 0; i < pageSizes.size(); ++i) {
        const ferry::proto::ManifestPage page = manifestPage(manifest, first, size_t(perPage));
        QCOMPARE(int(page.digests.size()), pageSizes[i]);
        QCOMPARE(page.first, uint32_t(first));
        QCOMPARE(page.last, i == pageSizes.size() - 1); // only the final page says last
        QCOMPARE(page.chunkCount, uint32_t(chunks));     // every page repeats the header
        QCOMPARE(page.fileSize, manifest.stamp.size);
        QCOMPARE(page.mtimeNs, int64_t(1234));
        QCOMPARE(page.root, manifest.root);
        for (size_t j = 0; j < page.digests.size(); ++j)
            QCOMPARE(page.digests[j][0], uint8_t(first + j));
        first += page.digests.size();
    }
    QCOMPARE(first, size_t(chunks));
}

void TestManifest::specVector()
{
    // PROTOCOL.md §9's [manifest-page]: 64 × "a", then "b", in chunks of 64 bytes.
    QTemporaryDir dir;
    const UniqueFd fd = writeFile(dir.filePath("f"), QByteArray(64, 'a') + "b");
    Result<Manifest> result = computeManifest(fd, 64, Always);
    QVERIFY(std::holds_alternative<Manifest>(result));
    const ferry::proto::ManifestPage page = manifestPage(std::get<Manifest>(result), 0, 16384);
    QCOMPARE(page.chunkCount, uint32_t(2));
    QCOMPARE(toBytes(page.root).toHex(),
             QByteArray("0f1e1428fd98c92fd15bc0f5fee7030e0caab4640e39a06bd88ff6e03ab41084"));
    QCOMPARE(toBytes(page.digests[0]).toHex(),
             QByteArray("df5bb81ce81e0626fb45a8944fd40f31b25e6816d6d499c1ab90492900635e66"));
    QCOMPARE(toBytes(page.digests[1]).toHex(), sha(QByteArray(64, 'a') + "b").toHex());
    QCOMPARE(toBytes(page.digests[1]).toHex(),
             QByteArray("3e63da2d835edc34e3bca8eef3a454427eae1b01381bbc01c6ca812e1066d660"));
    QVERIFY(page.last);
}

QTEST_GUILESS_MAIN(TestManifest)
#include "tst_serverunit_manifest.moc"
