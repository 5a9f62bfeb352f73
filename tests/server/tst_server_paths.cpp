// How ferry-server reads the paths of docs/PROTOCOL.md §1 at their edges: the longest path allowed is
// served, a symbolic link is followed only when it is relative and stays inside the root, and the refusals
// say why. (tst_server_jail holds the table of every way out of the root.)
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QMap>
#include <QScopeGuard>
#include <QTest>

#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ferrytest;
using proto::ErrorCode;

namespace {

// 4096 bytes, the documented maximum: 17 names of 240 bytes. Longer than the kernel's PATH_MAX - 1, so the
// server cannot resolve it in one call.
std::string longestPath()
{
    std::string path;
    for (int i = 0; i < 17; ++i)
        path += (i ? "/" : "") + std::string(240, char('a' + i));
    return path;
}

// Creates the directories of `relative` and a file at its end holding `content`, one component at a time
// beneath `root` (an absolute path that long could not be passed to the kernel). False on any failure.
bool createDeepFile(const QString &root, const std::string &relative, const QByteArray &content)
{
    int dir = ::open(QFile::encodeName(root).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    size_t begin = 0;
    for (size_t slash; dir >= 0 && (slash = relative.find('/', begin)) != std::string::npos; begin = slash + 1) {
        const std::string name = relative.substr(begin, slash - begin);
        const int next = ::mkdirat(dir, name.c_str(), 0755) == 0
                             ? ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                             : -1;
        ::close(dir);
        dir = next;
    }
    if (dir < 0)
        return false;
    const int file = ::openat(dir, relative.substr(begin).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    ::close(dir);
    const bool written = file >= 0 && ::write(file, content.constData(), size_t(content.size())) == content.size();
    if (file >= 0)
        ::close(file);
    return written;
}

// Removes `name` beneath `dir`, recursively, without ever forming a long path.
void removeTree(int dir, const char *name)
{
    const int inner = ::openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (inner < 0) {
        ::unlinkat(dir, name, 0);
        return;
    }
    if (DIR *listing = ::fdopendir(inner)) {
        while (dirent *entry = ::readdir(listing))
            if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
                removeTree(::dirfd(listing), entry->d_name);
        ::closedir(listing);
    } else {
        ::close(inner);
    }
    ::unlinkat(dir, name, AT_REMOVEDIR);
}

} // namespace

class TestServerPaths : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void longestPathIsServed();
    void absoluteSymlinkIsRefusedWithItsReason();
    void missingOverlongNameIsNotFound();
    void pathSpellings_data();
    void pathSpellings();
    void linksInsideAreFollowedAndListedOthersAreNot();

private:
    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
};

void TestServerPaths::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty()) {
        QSKIP("ferry-server is not built in this tree");
    }
    m_tree = std::make_unique<TestTree>();
    TestTree &t = *m_tree;
    QVERIFY(t.isValid());
    QVERIFY(!t.addFile(QStringLiteral("ok.bin"), 4096, 3).isEmpty());
    QVERIFY(createDeepFile(t.root(), longestPath(), "at the deepest point\n"));
    QVERIFY(!t.addSymlink(QStringLiteral("link-abs-in"), t.root() + QStringLiteral("/ok.bin")).isEmpty());
    QVERIFY(!t.addTextFile(QStringLiteral("sub/f.txt"), "in sub\n").isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-in"), QStringLiteral("ok.bin")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("sub/link-up-in"), QStringLiteral("../ok.bin")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-dir-in"), QStringLiteral("sub")).isEmpty());
    QVERIFY(!t.addOutsideFile(QStringLiteral("outside.txt"), "outside\n").isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-out"), QStringLiteral("../outside.txt")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-broken"), QStringLiteral("nowhere.bin")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-loop-a"), QStringLiteral("link-loop-b")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-loop-b"), QStringLiteral("link-loop-a")).isEmpty());
    m_server = std::make_unique<ServerProcess>(t.root(), QStringList{"--workers", "1"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestServerPaths::cleanupTestCase()
{
    auto removeDeepTree = qScopeGuard([this] {
        // QTemporaryDir cannot remove what lies deeper than PATH_MAX: take the long chain away first.
        if (m_tree) {
            const int root = ::open(QFile::encodeName(m_tree->root()).constData(), O_RDONLY | O_DIRECTORY);
            removeTree(root, longestPath().substr(0, 240).c_str());
            ::close(root);
        }
    });
    if (m_server) {
        QCOMPARE(m_server->stop(), 0);
    }
}

// PROTOCOL.md §1: a path is at most 4096 bytes, and one of exactly 4096 bytes is served like any other.
void TestServerPaths::longestPathIsServed()
{
    const std::string path = longestPath();
    QCOMPARE(path.size(), size_t(4096));
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    proto::Entry entry;
    const Status stat = client.stat(path, &entry);
    QVERIFY2(stat.ok(), qPrintable(stat.toString()));
    QCOMPARE(entry.kind, proto::EntryKind::File);
    QCOMPARE(entry.size, uint64_t(21));
    QCOMPARE(entry.name, path);
    const GetResult got = client.get(path);
    QVERIFY2(got.status.ok(), qPrintable(got.status.toString()));
    QCOMPARE(got.data, QByteArray("at the deepest point\n"));
    const ListResult listing = client.list(path.substr(0, path.rfind('/')));
    QVERIFY2(listing.status.ok(), qPrintable(listing.status.toString()));
    QCOMPARE(listing.entries.size(), size_t(1));
    QCOMPARE(listing.entries.front().name, path.substr(path.rfind('/') + 1));
}

// An absolute link is refused even when it names a file inside the root (RESOLVE_BENEATH; PROTOCOL.md §1
// says why), and the message tells the administrator what to change.
void TestServerPaths::absoluteSymlinkIsRefusedWithItsReason()
{
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    const Status s = client.get("link-abs-in").status;
    QVERIFY2(s.is(ErrorCode::Forbidden), qPrintable(s.toString()));
    QVERIFY2(s.message.find("absolute target") != std::string::npos, s.message.c_str());
    QVERIFY2(s.message.find("outside the served tree or not readable") == std::string::npos, s.message.c_str());
}

// No file system here holds a name longer than 255 bytes, so such a file does not exist: NOT_FOUND, and the
// message says why; the connection goes on.
void TestServerPaths::missingOverlongNameIsNotFound()
{
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    const Status s = client.stat("dir/" + std::string(256, 'n'));
    QVERIFY2(s.is(ErrorCode::NotFound), qPrintable(s.toString()));
    QVERIFY2(s.message.find("longer than 255 bytes") != std::string::npos, s.message.c_str());
    QVERIFY(client.stat("ok.bin").ok());
}

void TestServerPaths::pathSpellings_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("kind"); // of the STAT_REPLY when code is OK
    const int ok = int(ErrorCode::Ok), forbidden = int(ErrorCode::Forbidden), notFound = int(ErrorCode::NotFound);
    const int file = int(proto::EntryKind::File), directory = int(proto::EntryKind::Directory);
    QTest::newRow("the root") << QByteArray("") << ok << directory;
    QTest::newRow("empty component") << QByteArray("sub//f.txt") << ok << file;
    QTest::newRow("trailing / on a directory") << QByteArray("sub/") << ok << directory;
    QTest::newRow("trailing / on a file") << QByteArray("sub/f.txt/") << notFound << 0;
    QTest::newRow("trailing // on a file") << QByteArray("ok.bin//") << notFound << 0;
    QTest::newRow(". alone") << QByteArray(".") << forbidden << 0;
    QTest::newRow("leading ./") << QByteArray("./ok.bin") << forbidden << 0;
    QTest::newRow("trailing /.") << QByteArray("sub/.") << forbidden << 0;
    QTest::newRow("leading /") << QByteArray("/ok.bin") << forbidden << 0;
    QTest::newRow("only //") << QByteArray("//") << forbidden << 0;
}

// PROTOCOL.md §1: empty components are ignored, a trailing / asks for a directory (as in POSIX), and a "."
// component is refused like "..": a path has one spelling per file, but for its slashes.
void TestServerPaths::pathSpellings()
{
    QFETCH(QByteArray, path);
    QFETCH(int, code);
    QFETCH(int, kind);
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    proto::Entry entry;
    const Status s = client.stat(path.toStdString(), &entry);
    if (code == int(ErrorCode::Ok)) {
        QVERIFY2(s.ok(), qPrintable(s.toString()));
        QCOMPARE(int(entry.kind), kind);
    } else {
        QVERIFY2(s.is(ErrorCode(code)), qPrintable(s.toString()));
    }
    QVERIFY(client.stat("ok.bin").ok()); // never a reason to close
}

// PROTOCOL.md §1 and §5.1: a relative link that stays inside is served as its target, also through "..";
// LIST shows exactly the entries STAT can describe, so links that lead out, are absolute, broken or loop
// are left out of listings.
void TestServerPaths::linksInsideAreFollowedAndListedOthersAreNot()
{
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    const QByteArray content = patternBytes(3, 0, 4096);
    for (const char *link : {"link-in", "sub/link-up-in"}) {
        const GetResult r = client.get(link);
        QVERIFY2(r.status.ok(), qPrintable(QString::fromLatin1(link) + ": " + r.status.toString()));
        QVERIFY(r.data == content);
    }
    QCOMPARE(client.stat("link-broken").code, ErrorCode::NotFound);
    QCOMPARE(client.stat("link-loop-a").code, ErrorCode::Forbidden);
    QCOMPARE(client.stat("link-out").code, ErrorCode::Forbidden);

    const ListResult listing = client.list("");
    QVERIFY2(listing.status.ok(), qPrintable(listing.status.toString()));
    QMap<QString, proto::Entry> byName;
    for (const proto::Entry &e : listing.entries)
        byName.insert(QString::fromStdString(e.name), e);
    QVERIFY(byName.contains("link-in"));
    QCOMPARE(byName["link-in"].kind, proto::EntryKind::File); // described as what it leads to
    QCOMPARE(byName["link-in"].size, uint64_t(4096));
    QVERIFY(byName.contains("link-dir-in"));
    QCOMPARE(byName["link-dir-in"].kind, proto::EntryKind::Directory);
    for (const char *hidden : {"link-abs-in", "link-out", "link-broken", "link-loop-a", "link-loop-b"})
        QVERIFY2(!byName.contains(hidden), hidden);
}

QTEST_GUILESS_MAIN(TestServerPaths)
#include "tst_server_paths.moc"
