// The worker's open-file cache (server/worker/open_files.h) on real files: how many it may keep under a
// given fd limit, a working set far above the old 128 staying cached, the bound holding (in entries and in
// this process's open fds) under a flood of distinct files, least-recently-used eviction and expiry in
// order of last use, and a file changed under its name never being a hit.
#include "worker/open_files.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

using namespace ferry::server;

namespace {

constexpr int64_t Second = 1'000'000'000;

// This process's open fds, from /proc/self/fd (the directory's own fd not counted).
int openFdCount()
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return -1;
    int count = 0;
    while (const dirent *item = readdir(dir))
        if (item->d_name[0] != '.')
            ++count;
    closedir(dir);
    return count - 1;
}

std::string nameOf(int index)
{
    return "f" + std::to_string(index) + ".bin";
}

} // namespace

class TestServerUnitOpenFiles : public QObject {
    Q_OBJECT
private slots:
    void init();
    void capacityFollowsTheFdLimit_data();
    void capacityFollowsTheFdLimit();
    void capacityOfThisProcess();
    void workingSetAboveTheOldCapacityStaysCached();
    void floodOfDistinctFilesStaysWithinTheBound();
    void leastRecentlyUsedIsEvicted();
    void expiryFollowsLastUse();
    void changedFileIsNotAHit();
    void zeroCapacityServesWithoutKeeping();

private:
    // Creates `count` small files in the temporary root.
    void makeFiles(int count);
    // Opens `path` as the jail would (here: plainly, below the root) and caches it.
    OpenFileRef openAndKeep(OpenFiles &cache, const std::string &path, int64_t nowNs);

    QTemporaryDir m_dir;
    UniqueFd m_root;
};

void TestServerUnitOpenFiles::init()
{
    QVERIFY(m_dir.isValid());
    m_root = UniqueFd(::open(m_dir.path().toUtf8().constData(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    QVERIFY(m_root);
}

void TestServerUnitOpenFiles::makeFiles(int count)
{
    for (int i = 0; i < count; ++i) {
        UniqueFd file(::openat(m_root.get(), nameOf(i).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        QVERIFY(file);
        QCOMPARE(::write(file.get(), "data", 4), ssize_t(4));
    }
}

OpenFileRef TestServerUnitOpenFiles::openAndKeep(OpenFiles &cache, const std::string &path, int64_t nowNs)
{
    OpenFile file;
    file.fd = UniqueFd(::openat(m_root.get(), path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.fd || ::fstat(file.fd.get(), &file.info) != 0)
        return nullptr;
    return cache.keep(path, std::move(file), nowNs);
}

void TestServerUnitOpenFiles::capacityFollowsTheFdLimit_data()
{
    QTest::addColumn<quint64>("fdLimit");
    QTest::addColumn<quint64>("capacity");
    // 704 set aside: 2 × (64 plaintext + 256 TLS connections) + a handoff batch of 32 + 32 of the worker's own.
    QTest::newRow("1024 (a common default)") << quint64(1024) << quint64(160);
    QTest::newRow("4096") << quint64(4096) << quint64(1696);
    QTest::newRow("20000") << quint64(20000) << quint64(OpenFileMaxCapacity);
    QTest::newRow("2^20 (systemd's hard default)") << quint64(1 << 20) << quint64(OpenFileMaxCapacity);
    QTest::newRow("no more than the connections need") << quint64(704) << quint64(0);
    QTest::newRow("below that") << quint64(256) << quint64(0);
}

void TestServerUnitOpenFiles::capacityFollowsTheFdLimit()
{
    QFETCH(quint64, fdLimit);
    QFETCH(quint64, capacity);
    QCOMPARE(quint64(openFileCapacity(fdLimit)), capacity);
    // Whatever the limit, the cache and the connections' share together stay below it.
    QVERIFY(openFileCapacity(fdLimit) * 2 + 704 <= std::max<uint64_t>(fdLimit, 704));
}

void TestServerUnitOpenFiles::capacityOfThisProcess()
{
    rlimit limit{};
    QCOMPARE(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    QCOMPARE(OpenFiles().capacity(), openFileCapacity(uint64_t(limit.rlim_cur)));
}

void TestServerUnitOpenFiles::workingSetAboveTheOldCapacityStaysCached()
{
    constexpr int Files = 1000; // bench/compare's row (f)
    makeFiles(Files);
    OpenFiles cache(Files);
    for (int i = 0; i < Files; ++i)
        QVERIFY(openAndKeep(cache, nameOf(i), Second));
    QCOMPARE(cache.size(), size_t(Files));
    for (int round = 0; round < 2; ++round)
        for (int i = 0; i < Files; ++i)
            QVERIFY2(cache.find(m_root.get(), nameOf(i), 2 * Second), nameOf(i).c_str());
    QCOMPARE(cache.size(), size_t(Files));
}

void TestServerUnitOpenFiles::floodOfDistinctFilesStaysWithinTheBound()
{
    constexpr int Files = 600;
    constexpr size_t Bound = 50;
    makeFiles(Files);
    const int before = openFdCount();
    OpenFiles cache(Bound);
    for (int i = 0; i < Files; ++i) {
        QVERIFY(openAndKeep(cache, nameOf(i), Second + i));
        QVERIFY(cache.size() <= Bound);
        QVERIFY2(openFdCount() - before <= int(Bound), qPrintable(QString::number(openFdCount() - before)));
    }
    QCOMPARE(cache.size(), Bound);
    QCOMPARE(openFdCount() - before, int(Bound));
    cache.expire(Files + OpenFileTtlNs + Second); // all unused for longer than the TTL: every fd closed
    QCOMPARE(cache.size(), size_t(0));
    QCOMPARE(openFdCount(), before);
}

void TestServerUnitOpenFiles::leastRecentlyUsedIsEvicted()
{
    makeFiles(4);
    OpenFiles cache(3);
    for (int i = 0; i < 3; ++i)
        QVERIFY(openAndKeep(cache, nameOf(i), Second + i));
    QVERIFY(cache.find(m_root.get(), nameOf(0), 2 * Second)); // f0 is now the most recently used, f1 the least
    QVERIFY(openAndKeep(cache, nameOf(3), 3 * Second));
    QCOMPARE(cache.size(), size_t(3));
    QVERIFY(!cache.find(m_root.get(), nameOf(1), 4 * Second));
    QVERIFY(cache.find(m_root.get(), nameOf(0), 4 * Second));
    QVERIFY(cache.find(m_root.get(), nameOf(2), 4 * Second));
    QVERIFY(cache.find(m_root.get(), nameOf(3), 4 * Second));
}

void TestServerUnitOpenFiles::expiryFollowsLastUse()
{
    makeFiles(3);
    OpenFiles cache(8);
    QCOMPARE(cache.nextExpiryNs(), INT64_MAX);
    for (int i = 0; i < 3; ++i)
        QVERIFY(openAndKeep(cache, nameOf(i), (i + 1) * Second));
    QCOMPARE(cache.nextExpiryNs(), Second + OpenFileTtlNs);
    QVERIFY(cache.find(m_root.get(), nameOf(0), 5 * Second)); // f0 used again: f1 expires first now
    QCOMPARE(cache.nextExpiryNs(), 2 * Second + OpenFileTtlNs);
    cache.expire(3 * Second + OpenFileTtlNs - 1); // f1 due, f2 one nanosecond short of it
    QCOMPARE(cache.size(), size_t(2));
    QVERIFY(!cache.find(m_root.get(), nameOf(1), 6 * Second));
    QCOMPARE(cache.nextExpiryNs(), 3 * Second + OpenFileTtlNs);
    cache.expire(5 * Second + OpenFileTtlNs);
    QCOMPARE(cache.size(), size_t(0));
    QCOMPARE(cache.nextExpiryNs(), INT64_MAX);
}

void TestServerUnitOpenFiles::changedFileIsNotAHit()
{
    makeFiles(1);
    OpenFiles cache(8);
    const OpenFileRef first = openAndKeep(cache, nameOf(0), Second);
    QVERIFY(first);
    QVERIFY(::renameat(m_root.get(), nameOf(0).c_str(), m_root.get(), "old.bin") == 0);
    makeFiles(1); // a new f0.bin: another inode under the same name
    QVERIFY(!cache.find(m_root.get(), nameOf(0), 2 * Second));
    QCOMPARE(cache.size(), size_t(0));
    const OpenFileRef second = openAndKeep(cache, nameOf(0), 2 * Second);
    QVERIFY(second && second->info.st_ino != first->info.st_ino);
    QCOMPARE(cache.find(m_root.get(), nameOf(0), 3 * Second), second);
}

void TestServerUnitOpenFiles::zeroCapacityServesWithoutKeeping()
{
    makeFiles(1);
    OpenFiles cache(0);
    QVERIFY(openAndKeep(cache, nameOf(0), Second));
    QCOMPARE(cache.size(), size_t(0));
    QVERIFY(!cache.find(m_root.get(), nameOf(0), Second));
}

QTEST_GUILESS_MAIN(TestServerUnitOpenFiles)
#include "tst_serverunit_openfiles.moc"
