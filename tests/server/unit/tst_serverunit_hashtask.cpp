// manifest::HashTask, the hash a TLS worker makes a piece per loop turn: driven one piece per call it
// makes what the blocking calls make; a range is the range's SHA-256; while another process holds the
// file's cache lock it says Waiting at once (never waits) and then answers from what that one stored;
// a file changed between the first and the last piece is FileChanged.
#include "manifest/hash_task.h"
#include "manifest/manifest_codec.h"

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>

using namespace ferry::server;
using namespace ferry::server::manifest;

namespace {

constexpr uint32_t TestChunk = 256 * 1024; // several 1 MiB pieces hold several chunks, and one crosses none

QByteArray bytes(int size)
{
    QByteArray data(size, '\0');
    for (int i = 0; i < size; ++i)
        data[i] = char((i * 131 + i / 977) & 0xff);
    return data;
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(data) == data.size();
}

UniqueFd openRead(const QString &path)
{
    return UniqueFd(::open(path.toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC));
}

ManifestStore storeIn(const QString &directory)
{
    std::string why;
    std::optional<StampedCache> cache = StampedCache::open(directory.toStdString(), 1 << 20, why);
    return ManifestStore(std::move(cache), TestChunk);
}

// Advances `task` one piece per call to its end; the calls it took.
int runByPieces(HashTask &task, const UniqueFd &fd)
{
    int calls = 1;
    while (task.advance(fd, 0) != HashTask::Step::Done && calls < 10000)
        ++calls;
    return calls;
}

QByteArray bytesOf(const Digest &digest) { return QByteArray(reinterpret_cast<const char *>(digest.data()), 32); }

const Progress Always = [](uint64_t) { return true; };

} // namespace

class TestHashTask : public QObject {
    Q_OBJECT
private slots:
    void piecesMakeWhatTheBlockingCallMakes();
    void rangeIsTheRangesDigest();
    void waitsForAnotherHolderWithoutBlocking();
    void fileChangedBetweenPieces();
};

void TestHashTask::piecesMakeWhatTheBlockingCallMakes()
{
    QTemporaryDir root, state;
    const QByteArray data = bytes(5 * 1024 * 1024 + 17);
    QVERIFY(writeFile(root.filePath("f"), data));
    const UniqueFd fd = openRead(root.filePath("f"));
    const ManifestStore uncached(std::nullopt, TestChunk);
    HashTask task(uncached, HashKind::Manifest);
    QCOMPARE(task.advance(fd, 0), HashTask::Step::Hashing);
    QCOMPARE(task.hashed(), uint64_t(TestChunk)); // one piece: it ends where the chunk ends
    QCOMPARE(task.total(), uint64_t(data.size()));
    QVERIFY(runByPieces(task, fd) > 5);
    QVERIFY(!task.problem());
    QVERIFY(!task.isFromCache());
    Result<Manifest> blocking = computeManifest(fd, TestChunk, Always);
    QVERIFY(std::holds_alternative<Manifest>(blocking));
    QCOMPARE(task.manifest(), std::get<Manifest>(blocking));
    // The last entry is the whole file's SHA-256 (the entries are chain states, §10.5).
    QCOMPARE(bytesOf(task.manifest().chunks.back()), QCryptographicHash::hash(data, QCryptographicHash::Sha256));

    HashTask whole(uncached, HashKind::WholeDigest);
    QVERIFY(runByPieces(whole, fd) > 5);
    QCOMPARE(bytesOf(whole.wholeDigest().digest), QCryptographicHash::hash(data, QCryptographicHash::Sha256));
}

void TestHashTask::rangeIsTheRangesDigest()
{
    QTemporaryDir root;
    const QByteArray data = bytes(3 * 1024 * 1024);
    QVERIFY(writeFile(root.filePath("f"), data));
    const UniqueFd fd = openRead(root.filePath("f"));
    const ManifestStore store(std::nullopt, TestChunk);
    HashTask task(store, HashKind::Range, 1000, 2 * 1024 * 1024 + 5);
    QVERIFY(runByPieces(task, fd) >= 3);
    QVERIFY(!task.problem());
    QCOMPARE(bytesOf(task.wholeDigest().digest),
             QCryptographicHash::hash(data.mid(1000, 2 * 1024 * 1024 + 5), QCryptographicHash::Sha256));
    HashTask past(store, HashKind::Range, 0, uint64_t(data.size()) + 1); // the file ends early
    runByPieces(past, fd);
    QVERIFY(past.problem());
    QCOMPARE(past.problem()->failure, Failure::FileChanged);
}

void TestHashTask::waitsForAnotherHolderWithoutBlocking()
{
    QTemporaryDir root, state;
    QVERIFY(writeFile(root.filePath("f"), bytes(2 * 1024 * 1024)));
    const UniqueFd fd = openRead(root.filePath("f"));
    const ManifestStore store = storeIn(state.filePath("manifests"));
    QVERIFY(store.hasCache());
    struct stat info {};
    QCOMPARE(fstat(fd.get(), &info), 0);
    std::string why;
    // Another worker computing this manifest: it holds the lock (a second descriptor's flock conflicts).
    std::optional<StampedCache::KeyLock> other = store.cache()->tryLock("manifest", stampOf(info), why);
    QVERIFY2(other, why.c_str());
    HashTask task(store, HashKind::Manifest);
    for (int turn = 0; turn < 3; ++turn)
        QCOMPARE(task.advance(fd, 0), HashTask::Step::Waiting); // at once, every time
    QVERIFY(!task.isReading());
    // It stores its result and lets go: the task answers from that without reading the file.
    Result<Manifest> made = computeManifest(fd, TestChunk, Always);
    QVERIFY(std::holds_alternative<Manifest>(made));
    QVERIFY(store.cache()->store("manifest", stampOf(info), encodeManifest(std::get<Manifest>(made)), why));
    other.reset();
    QCOMPARE(task.advance(fd, 0), HashTask::Step::Done);
    QVERIFY(task.isFromCache());
    QVERIFY(!task.isReading());
    QCOMPARE(task.manifest(), std::get<Manifest>(made));
}

void TestHashTask::fileChangedBetweenPieces()
{
    QTemporaryDir root;
    const QString path = root.filePath("f");
    QVERIFY(writeFile(path, bytes(2 * 1024 * 1024)));
    const UniqueFd fd = openRead(path);
    const ManifestStore store(std::nullopt, TestChunk);
    HashTask task(store, HashKind::WholeDigest);
    QCOMPARE(task.advance(fd, 0), HashTask::Step::Hashing);
    {
        QFile writer(path); // appended to after the first piece (a size, unlike a time, moves for sure)
        QVERIFY(writer.open(QIODevice::Append));
        QCOMPARE(writer.write("changed", 7), qint64(7));
    }
    runByPieces(task, fd);
    QVERIFY(task.problem());
    QCOMPARE(task.problem()->failure, Failure::FileChanged);
}

QTEST_GUILESS_MAIN(TestHashTask)
#include "tst_serverunit_hashtask.moc"
