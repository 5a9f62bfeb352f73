// The manifest cache (server/manifest/stamped_cache, manifest_store): entries keyed by the file's stamp,
// so a modified file gets a new manifest; the bound holds, least recently used first; a damaged entry is
// a miss; two workers asking for one uncached file compute it once; a read-only served root is never
// written (its listing is the same afterwards) while the cache in its own directory fills; a whole-file
// digest is the cached manifest's last entry, and a plain SHA-256 only past MaxChunks chunks.
#include "manifest/manifest_store.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <condition_variable>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace ferry::server;
using namespace ferry::server::manifest;

namespace {

// Small chunks keep the files small while the manifests still have many digests.
constexpr uint32_t TestChunk = 4096;

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(data) == data.size();
}

UniqueFd openRead(const QString &path)
{
    return UniqueFd(::open(path.toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC));
}

ManifestStore storeIn(const QString &directory, uint64_t maxBytes, uint32_t chunkSize = TestChunk)
{
    std::string why;
    std::optional<StampedCache> cache = StampedCache::open(directory.toStdString(), maxBytes, why);
    if (!cache)
        qWarning("%s", why.c_str());
    return ManifestStore(std::move(cache), chunkSize);
}

// Entries in the cache directory (not its lock files), and their total size.
QStringList entriesIn(const QString &directory, qint64 *total = nullptr)
{
    QStringList names;
    if (total)
        *total = 0;
    for (const QFileInfo &info : QDir(directory).entryInfoList(QDir::Files, QDir::Name))
        if (!info.fileName().startsWith("lock-")) {
            names << info.fileName();
            if (total)
                *total += info.size();
        }
    return names;
}

// Everything under `root`, with sizes and times, to compare before and after.
QStringList listing(const QString &root)
{
    QStringList lines;
    QDirIterator it(root, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        lines << it.filePath() + " " + QString::number(it.fileInfo().size()) + " "
                     + QString::number(it.fileInfo().lastModified().toMSecsSinceEpoch());
    }
    lines.sort();
    return lines;
}

const Progress Always = [](uint64_t) { return true; };

} // namespace

class TestManifestCache : public QObject {
    Q_OBJECT
private slots:
    void secondAskComesFromTheCache();
    void modifiedFileGetsNewManifest();
    void staysWithinItsBound();
    void damagedEntryIsAMiss();
    void computedOnceForTwoAskers_data();
    void computedOnceForTwoAskers();
    void readOnlyRootIsNeverWritten();
    void digestOfAFileTooLargeForAManifest();
    void unusableDirectoryIsReported();
};

void TestManifestCache::secondAskComesFromTheCache()
{
    QTemporaryDir root, state;
    QVERIFY(writeFile(root.filePath("f"), QByteArray(10 * TestChunk + 3, 'a')));
    ManifestStore store = storeIn(state.filePath("manifests"), 1 << 20);
    QVERIFY(store.hasCache());
    const UniqueFd fd = openRead(root.filePath("f"));
    auto first = store.manifest(fd, Always);
    QVERIFY(std::holds_alternative<Answer<Manifest>>(first));
    QVERIFY(!std::get<Answer<Manifest>>(first).fromCache);
    QCOMPARE(entriesIn(state.filePath("manifests")).size(), 1);
    bool read = false;
    auto second = store.manifest(fd, [&read](uint64_t done) { return !(read = read || done > 0); });
    QVERIFY(std::holds_alternative<Answer<Manifest>>(second));
    QVERIFY(std::get<Answer<Manifest>>(second).fromCache);
    QVERIFY(!read); // not one byte of the file hashed again
    QCOMPARE(std::get<Answer<Manifest>>(second).value, std::get<Answer<Manifest>>(first).value);
    read = false;
    auto digest = store.wholeDigest(fd, [&read](uint64_t done) { return !(read = read || done > 0); });
    QVERIFY(std::holds_alternative<Answer<WholeDigest>>(digest));
    QVERIFY(std::get<Answer<WholeDigest>>(digest).fromCache); // the manifest's last entry
    QVERIFY(!read);
    QCOMPARE(QByteArray(reinterpret_cast<const char *>(std::get<Answer<WholeDigest>>(digest).value.digest.data()), 32),
             QCryptographicHash::hash(QByteArray(10 * TestChunk + 3, 'a'), QCryptographicHash::Sha256));
    QCOMPARE(entriesIn(state.filePath("manifests")).size(), 1); // no second entry with the same number
}

void TestManifestCache::modifiedFileGetsNewManifest()
{
    QTemporaryDir root, state;
    const QString path = root.filePath("f");
    QVERIFY(writeFile(path, QByteArray(3 * TestChunk, 'a')));
    ManifestStore store = storeIn(state.filePath("manifests"), 1 << 20);
    Manifest before = std::get<Answer<Manifest>>(store.manifest(openRead(path), Always)).value;
    usleep(10'000); // a coarse file clock must move between the two versions
    {
        QFile file(path); // the same inode, the same size: only the times and the bytes differ
        QVERIFY(file.open(QIODevice::ReadWrite));
        QVERIFY(file.seek(TestChunk + 5));
        QCOMPARE(file.write("b", 1), qint64(1));
    }
    auto after = std::get<Answer<Manifest>>(store.manifest(openRead(path), Always));
    QVERIFY(!after.fromCache);
    QCOMPARE(after.value.chunks[0], before.chunks[0]);
    QVERIFY(after.value.chunks[1] != before.chunks[1]);
    QVERIFY(after.value.root != before.root);
    QCOMPARE(entriesIn(state.filePath("manifests")).size(), 1); // replaced, not added beside the old one
}

void TestManifestCache::staysWithinItsBound()
{
    QTemporaryDir root, state;
    // Each entry: 56 bytes of header, 44 of manifest header, 8 digests of 32 bytes = 356 bytes.
    const uint64_t bound = 1000;
    ManifestStore store = storeIn(state.filePath("manifests"), bound);
    for (int i = 0; i < 10; ++i) {
        const QString path = root.filePath("f" + QString::number(i));
        QVERIFY(writeFile(path, QByteArray(8 * TestChunk, char('a' + i))));
        QVERIFY(std::holds_alternative<Answer<Manifest>>(store.manifest(openRead(path), Always)));
        qint64 total = 0;
        entriesIn(state.filePath("manifests"), &total);
        QVERIFY2(uint64_t(total) <= bound, qPrintable(QString::number(total)));
    }
    QCOMPARE(entriesIn(state.filePath("manifests")).size(), 2);
    // The two kept are the newest: the last file's manifest is still cached, the first one's is not.
    bool read = false;
    const Progress noticeReads = [&read](uint64_t done) {
        read = read || done > 0;
        return true;
    };
    QVERIFY(std::get<Answer<Manifest>>(store.manifest(openRead(root.filePath("f9")), noticeReads)).fromCache);
    QVERIFY(!read);
    QVERIFY(!std::get<Answer<Manifest>>(store.manifest(openRead(root.filePath("f0")), Always)).fromCache);
}

void TestManifestCache::damagedEntryIsAMiss()
{
    QTemporaryDir root, state;
    const QString path = root.filePath("f");
    QVERIFY(writeFile(path, QByteArray(5 * TestChunk, 'q')));
    ManifestStore store = storeIn(state.filePath("manifests"), 1 << 20);
    Manifest good = std::get<Answer<Manifest>>(store.manifest(openRead(path), Always)).value;
    const QStringList entries = entriesIn(state.filePath("manifests"));
    QCOMPARE(entries.size(), 1);
    {
        QFile entry(state.filePath("manifests/" + entries.first()));
        QVERIFY(entry.open(QIODevice::ReadWrite));
        QVERIFY(entry.seek(entry.size() - 1)); // the last digest: the root no longer matches
        QCOMPARE(entry.write("\xff", 1), qint64(1));
    }
    auto again = std::get<Answer<Manifest>>(store.manifest(openRead(path), Always));
    QVERIFY(!again.fromCache);
    QCOMPARE(again.value, good);
}

void TestManifestCache::computedOnceForTwoAskers_data()
{
    QTest::addColumn<bool>("secondAsksDigest");
    QTest::newRow("two manifests") << false;
    QTest::newRow("a manifest, then the whole file's digest") << true; // the same entry, the same lock
}

void TestManifestCache::computedOnceForTwoAskers()
{
    QFETCH(bool, secondAsksDigest);
    QTemporaryDir root, state;
    const QString path = root.filePath("f");
    QVERIFY(writeFile(path, QByteArray(64 * TestChunk, 'z')));
    ManifestStore store = storeIn(state.filePath("manifests"), 1 << 20);
    std::mutex mutex;
    std::condition_variable changed;
    bool firstHashing = false, secondWaiting = false;
    std::atomic<int> hashers{0};
    auto waitFor = [&](bool &flag) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(20), [&flag] { return flag; });
    };
    auto raise = [&](bool &flag) {
        std::lock_guard lock(mutex);
        flag = true;
        changed.notify_all();
    };
    bool firstSawSecond = false;
    std::optional<Answer<Manifest>> firstAnswer, second; // checked here: QVERIFY is for the test's thread
    // The first asker holds the lock and, once hashing, waits until the second is waiting for that lock.
    std::thread first([&] {
        bool counted = false;
        auto answer = store.manifest(openRead(path), [&](uint64_t done) {
            if (done > 0 && !counted) {
                counted = true;
                ++hashers;
                raise(firstHashing);
                firstSawSecond = waitFor(secondWaiting);
            }
            return true;
        });
        if (auto *got = std::get_if<Answer<Manifest>>(&answer))
            firstAnswer = *got;
    });
    QVERIFY(waitFor(firstHashing));
    std::optional<Answer<WholeDigest>> digest;
    std::thread other([&] {
        bool counted = false;
        auto progress = [&](uint64_t done) {
            if (done == 0)
                raise(secondWaiting); // only a waiter is asked with 0
            else if (!counted)
                counted = true, ++hashers;
            return true;
        };
        if (secondAsksDigest) {
            auto answer = store.wholeDigest(openRead(path), progress);
            if (auto *got = std::get_if<Answer<WholeDigest>>(&answer))
                digest = *got;
            return;
        }
        auto answer = store.manifest(openRead(path), progress);
        if (auto *got = std::get_if<Answer<Manifest>>(&answer))
            second = *got;
    });
    first.join();
    other.join();
    QVERIFY(firstSawSecond);
    QCOMPARE(hashers.load(), 1);
    QVERIFY(firstAnswer && !firstAnswer->fromCache);
    if (secondAsksDigest) {
        QVERIFY(digest && digest->fromCache);
        QCOMPARE(digest->value.digest, firstAnswer->value.chunks.back());
        return;
    }
    QVERIFY(second && second->fromCache);
    QCOMPARE(second->value, firstAnswer->value);
}

void TestManifestCache::readOnlyRootIsNeverWritten()
{
    QTemporaryDir root, state;
    QVERIFY(QDir(root.path()).mkdir("sub"));
    QVERIFY(writeFile(root.filePath("a"), QByteArray(3 * TestChunk + 1, 'a')));
    QVERIFY(writeFile(root.filePath("sub/b"), QByteArray(TestChunk, 'b')));
    QVERIFY(writeFile(root.filePath("empty"), QByteArray()));
    for (const char *file : {"a", "sub/b", "empty"})
        QCOMPARE(chmod(root.filePath(file).toLocal8Bit().constData(), 0444), 0);
    QCOMPARE(chmod(root.filePath("sub").toLocal8Bit().constData(), 0555), 0);
    QCOMPARE(chmod(root.path().toLocal8Bit().constData(), 0555), 0);
    const QStringList before = listing(root.path());
    ManifestStore store = storeIn(state.filePath("manifests"), 1 << 20);
    for (const char *file : {"a", "sub/b", "empty"}) {
        const UniqueFd fd = openRead(root.filePath(file));
        QVERIFY(std::holds_alternative<Answer<Manifest>>(store.manifest(fd, Always)));
        QVERIFY(std::holds_alternative<Answer<WholeDigest>>(store.wholeDigest(fd, Always)));
    }
    QCOMPARE(listing(root.path()), before);
    QCOMPARE(entriesIn(state.filePath("manifests")).size(), 3); // one manifest each, the DIGEST's too
    chmod(root.filePath("sub").toLocal8Bit().constData(), 0755); // so QTemporaryDir can remove it
    chmod(root.path().toLocal8Bit().constData(), 0755);
}

void TestManifestCache::digestOfAFileTooLargeForAManifest()
{
    // Chunks of one block (64 bytes) stand in for a file of more than 16 TiB: no manifest, but its
    // DIGEST is still made, as a plain SHA-256 in an entry of its own. The file is sparse.
    QTemporaryDir root, state;
    QVERIFY(writeFile(root.filePath("f"), QByteArray()));
    QCOMPARE(truncate(root.filePath("f").toLocal8Bit().constData(), off_t(MaxChunks + 1) * 64), 0);
    ManifestStore store = storeIn(state.filePath("manifests"), 1 << 20, 64);
    const UniqueFd fd = openRead(root.filePath("f"));
    auto refused = store.manifest(fd, Always);
    QVERIFY(std::holds_alternative<Problem>(refused));
    QCOMPARE(std::get<Problem>(refused).failure, Failure::TooLarge);
    auto digest = store.wholeDigest(fd, Always);
    QVERIFY(std::holds_alternative<Answer<WholeDigest>>(digest));
    QCOMPARE(QByteArray(reinterpret_cast<const char *>(std::get<Answer<WholeDigest>>(digest).value.digest.data()), 32),
             QCryptographicHash::hash(QByteArray(qsizetype(MaxChunks + 1) * 64, '\0'), QCryptographicHash::Sha256));
    QCOMPARE(entriesIn(state.filePath("manifests")), QStringList{QString::fromStdString(entryName("sha256",
                                                                  std::get<Answer<WholeDigest>>(digest).value.stamp))});
    QVERIFY(std::get<Answer<WholeDigest>>(store.wholeDigest(fd, Always)).fromCache);
}

void TestManifestCache::unusableDirectoryIsReported()
{
    QTemporaryDir state;
    std::string why;
    QVERIFY(!StampedCache::open(state.filePath("missing/manifests").toStdString(), 1000, why));
    QVERIFY2(why.find("mkdir()") == 0 && why.find("missing/manifests") != std::string::npos, why.c_str());
}

QTEST_GUILESS_MAIN(TestManifestCache)
#include "tst_serverunit_manifestcache.moc"
