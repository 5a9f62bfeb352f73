// ferry-server's root is a jail, and malformed traffic cannot hurt it: every way
// out of the root is refused with the documented code, a secret file beside the
// root is never read, nothing under the root is modified, and garbage on the wire
// gets an error frame or a close while the (single) worker stays available.
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QDirIterator>
#include <QRandomGenerator>
#include <QTest>
#include <QUuid>

#include <algorithm>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ferrytest;
using proto::ErrorCode;

namespace {

enum class Op { Get, Stat, List };

QByteArray frameBytes(const proto::Message &message)
{
    const std::vector<uint8_t> frame = proto::encode(message);
    return QByteArray(reinterpret_cast<const char *>(frame.data()), qsizetype(frame.size()));
}

// name, size and mtime of everything under `dir`, to prove nothing was written there.
QStringList snapshot(const QString &dir)
{
    QStringList lines;
    QDirIterator it(dir, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        struct stat st{};
        ::lstat(QFile::encodeName(path).constData(), &st); // never follow: link-proc-cwd points at our cwd
        lines << QStringLiteral("%1 %2 %3.%4").arg(path).arg(st.st_size).arg(st.st_mtim.tv_sec).arg(st.st_mtim.tv_nsec);
    }
    lines.sort();
    return lines;
}

} // namespace

class TestServerJail : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void traversalIsRefused_data();
    void traversalIsRefused();
    void hiddenEntriesAreNotListed();
    void specialFilesAreOther_data();
    void specialFilesAreOther();
    void malformedTrafficIsRefused_data();
    void malformedTrafficIsRefused();

private:
    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
    QByteArray m_secret;
    QStringList m_before;
    bool m_haveDevice = false;
    int m_secretWatch = -1; // inotify: any open or read of the secret by anyone shows up here
};

void TestServerJail::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty()) {
        QSKIP("ferry-server is not built in this tree");
    }
    m_tree = std::make_unique<TestTree>();
    TestTree &t = *m_tree;
    QVERIFY(t.isValid());
    m_secret = "FERRY-SECRET-" + QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
    const QString secretPath = t.addOutsideFile(QStringLiteral("secret.txt"), m_secret + '\n');
    QVERIFY(!secretPath.isEmpty());
    QVERIFY(!t.addFile(QStringLiteral("ok.bin"), 65536, 1).isEmpty());
    QVERIFY(!t.addTextFile(QStringLiteral("a/file.txt"), "inside\n").isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-out"), QStringLiteral("../secret.txt")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-abs"), secretPath).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("a/link-up"), QStringLiteral("../../secret.txt")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-out-dir"), QStringLiteral("..")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-proc"), QStringLiteral("/proc/self/root") + secretPath).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-proc-cwd"), QStringLiteral("/proc/self/cwd")).isEmpty());
    // PROTOCOL.md §1: only relative links that stay inside are followed, whatever an absolute one names.
    QVERIFY(!t.addSymlink(QStringLiteral("link-abs-in"), t.root() + QStringLiteral("/ok.bin")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-loop-a"), QStringLiteral("link-loop-b")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-loop-b"), QStringLiteral("link-loop-a")).isEmpty());
    QVERIFY(!t.addSymlink(QStringLiteral("link-broken"), QStringLiteral("nowhere.bin")).isEmpty());
    QVERIFY(!t.addFifo(QStringLiteral("fifo")).isEmpty());
    // /dev/zero's numbers: a server that reads it would stream forever.
    m_haveDevice = !t.addCharDevice(QStringLiteral("dev-zero"), 1, 5).isEmpty();
    QVERIFY(!t.addTextFile(QStringLiteral(".hidden"), m_secret + "-hidden\n").isEmpty());
    QVERIFY(!t.addTextFile(QStringLiteral("a/.hidden-too"), m_secret + "-hidden\n").isEmpty());
    QVERIFY(!t.addTextFile(QStringLiteral(".hiddendir/inner.txt"), m_secret + "-hidden\n").isEmpty());
    m_before = snapshot(t.base());
    m_secretWatch = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    QVERIFY(m_secretWatch >= 0);
    QVERIFY(::inotify_add_watch(m_secretWatch, QFile::encodeName(secretPath).constData(), IN_OPEN | IN_ACCESS) >= 0);
    {
        // Prove the watch works: our own read must be seen (and is drained here).
        QFile probe(secretPath);
        QVERIFY(probe.open(QIODevice::ReadOnly));
        QCOMPARE(probe.readAll(), m_secret + '\n');
    }
    char events[4096];
    QVERIFY2(::read(m_secretWatch, events, sizeof events) > 0, "inotify did not report a read of the secret");

    // One worker: if any request below left it stuck or dead, the next one fails.
    m_server = std::make_unique<ServerProcess>(t.root(), QStringList{"--workers", "1", "--request-timeout", "20s"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestServerJail::cleanupTestCase()
{
    if (!m_server) {
        return;
    }
    QVERIFY2(!m_server->stderrText().contains(m_secret), "the secret appears in the server's log");
    char events[4096];
    const ssize_t pending = ::read(m_secretWatch, events, sizeof events);
    ::close(m_secretWatch);
    QVERIFY2(pending < 0 && errno == EAGAIN, "the secret file beside the root was opened or read");
    QCOMPARE(m_server->stop(), 0);
    QCOMPARE(snapshot(m_tree->base()), m_before);
}

void TestServerJail::traversalIsRefused_data()
{
    QTest::addColumn<int>("op");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("closes"); // a frame-level error: the server closes after it

    const int forbidden = int(ErrorCode::Forbidden);
    const int notFound = int(ErrorCode::NotFound);
    const int notAFile = int(ErrorCode::NotAFile);
    const int get = int(Op::Get);
    QTest::newRow("..") << get << QByteArray("..") << forbidden << false;
    QTest::newRow("../..") << get << QByteArray("../..") << forbidden << false;
    QTest::newRow("../secret.txt") << get << QByteArray("../secret.txt") << forbidden << false;
    QTest::newRow("/etc/passwd") << get << QByteArray("/etc/passwd") << forbidden << false;
    QTest::newRow("STAT /etc/passwd") << int(Op::Stat) << QByteArray("/etc/passwd") << forbidden << false;
    QTest::newRow("LIST ..") << int(Op::List) << QByteArray("..") << forbidden << false;
    QTest::newRow("LIST /") << int(Op::List) << QByteArray("/") << forbidden << false;
    QTest::newRow("a/../../x") << get << QByteArray("a/../../x") << forbidden << false;
    QTest::newRow("a/../../secret.txt") << get << QByteArray("a/../../secret.txt") << forbidden << false;
    QTest::newRow("symlink out of the root") << get << QByteArray("link-out") << forbidden << false;
    QTest::newRow("STAT symlink out of the root") << int(Op::Stat) << QByteArray("link-out") << forbidden << false;
    QTest::newRow("absolute symlink") << get << QByteArray("link-abs") << forbidden << false;
    QTest::newRow("symlink up from a subdir") << get << QByteArray("a/link-up") << forbidden << false;
    QTest::newRow("LIST symlink to parent") << int(Op::List) << QByteArray("link-out-dir") << forbidden << false;
    QTest::newRow("through symlink to parent") << get << QByteArray("link-out-dir/secret.txt") << forbidden << false;
    QTest::newRow("symlink into /proc/self") << get << QByteArray("link-proc") << forbidden << false;
    QTest::newRow("LIST symlink to /proc/self/cwd") << int(Op::List) << QByteArray("link-proc-cwd") << forbidden
                                                     << false;
    QTest::newRow("NUL in a name") << get << QByteArray("ok.bin\0/../../secret.txt", 25) << forbidden << false;
    QTest::newRow("NUL at the end") << get << QByteArray("ok.bin\0", 7) << forbidden << false;
    QTest::newRow("absolute symlink into the root") << get << QByteArray("link-abs-in") << forbidden << false;
    QTest::newRow("STAT absolute symlink into the root") << int(Op::Stat) << QByteArray("link-abs-in") << forbidden
                                                         << false;
    QTest::newRow("symlink loop") << get << QByteArray("link-loop-a") << forbidden << false;
    QTest::newRow("broken symlink") << get << QByteArray("link-broken") << notFound << false;
    QTest::newRow("missing 256-byte name") << get << QByteArray(256, 'a') << notFound << false;
    QTest::newRow("missing 256-byte name, then ..") << get << QByteArray(256, 'a') + "/.." << forbidden << false;
    QByteArray longest; // 4096 bytes (the maximum), 17 names of 240 bytes
    for (int i = 0; i < 17; ++i)
        longest += (i ? "/" : "") + QByteArray(240, char('a' + i));
    QTest::newRow("missing 4096-byte path") << get << longest << notFound << false;
    QTest::newRow("4097-byte path") << get << QByteArray(4097, 'a') << forbidden << true;
    QTest::newRow("64 KiB name") << get << QByteArray(65535, 'a') << forbidden << true;
    QTest::newRow("FIFO") << get << QByteArray("fifo") << notAFile << false;
    QTest::newRow("device node") << get << QByteArray("dev-zero") << notAFile << false;
    QTest::newRow("directory") << get << QByteArray("a") << notAFile << false;
    QTest::newRow("hidden file") << get << QByteArray(".hidden") << forbidden << false;
    QTest::newRow("hidden file in a subdir") << get << QByteArray("a/.hidden-too") << forbidden << false;
    QTest::newRow("STAT hidden file") << int(Op::Stat) << QByteArray(".hidden") << forbidden << false;
    QTest::newRow("LIST hidden directory") << int(Op::List) << QByteArray(".hiddendir") << forbidden << false;
    QTest::newRow("file in a hidden directory") << get << QByteArray(".hiddendir/inner.txt") << forbidden << false;
}

void TestServerJail::traversalIsRefused()
{
    QFETCH(int, op);
    QFETCH(QByteArray, path);
    QFETCH(int, code);
    QFETCH(bool, closes);
    if (QByteArray(QTest::currentDataTag()) == "device node" && !m_haveDevice) {
        QSKIP("mknod not permitted here");
    }

    TestClient client(20000);
    client.setRecording(true);
    const Status opened = client.open(m_server->host(), m_server->port());
    QVERIFY2(opened.ok(), qPrintable(opened.toString()));
    const std::string p = path.toStdString();
    Status s;
    switch (Op(op)) {
    case Op::Get: s = client.get(p).status; break;
    case Op::Stat: s = client.stat(p); break;
    case Op::List: s = client.list(p).status; break;
    }
    QVERIFY2(s.is(ErrorCode(code)),
             qPrintable(QStringLiteral("expected %1, got %2")
                            .arg(proto::errorCodeName(ErrorCode(code)), s.toString())));

    if (closes) {
        const Status end = client.waitForClose();
        QVERIFY2(end.outcome == Outcome::Closed || end.outcome == Outcome::Reset, qPrintable(end.toString()));
    } else {
        // Not a protocol error: the connection goes on.
        const GetResult next = client.get("ok.bin", 0, 100);
        QVERIFY2(next.status.ok(), qPrintable(next.status.toString()));
    }
    QVERIFY2(!client.transcript().contains(m_secret), "the secret's content reached the client");
    QCOMPARE(m_server->workerPids().size(), 1);
}

void TestServerJail::hiddenEntriesAreNotListed()
{
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    for (const char *dir : {"", "a"}) {
        const ListResult listing = client.list(dir);
        QVERIFY2(listing.status.ok(), qPrintable(listing.status.toString()));
        QVERIFY(!listing.entries.empty());
        for (const proto::Entry &e : listing.entries) {
            QVERIFY2(!e.name.starts_with('.'), e.name.c_str());
        }
    }
}

void TestServerJail::specialFilesAreOther_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("FIFO") << "fifo";
    QTest::newRow("device node") << "dev-zero";
}

// FIFOs and devices are described, never opened (docs/OPERATIONS.md, The served tree): STAT and LIST
// give kind OTHER, and the one worker is still there to answer (it did not block opening a FIFO).
void TestServerJail::specialFilesAreOther()
{
    QFETCH(QString, name);
    if (name == QLatin1String("dev-zero") && !m_haveDevice)
        QSKIP("mknod not permitted here");
    TestClient client(20000);
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    proto::Entry entry;
    const Status s = client.stat(name.toStdString(), &entry);
    QVERIFY2(s.ok(), qPrintable(s.toString()));
    QCOMPARE(entry.kind, proto::EntryKind::Other);
    const ListResult listing = client.list("");
    QVERIFY2(listing.status.ok(), qPrintable(listing.status.toString()));
    const auto listed = std::find_if(listing.entries.begin(), listing.entries.end(),
                                     [&](const proto::Entry &e) { return e.name == name.toStdString(); });
    QVERIFY(listed != listing.entries.end());
    QCOMPARE(listed->kind, proto::EntryKind::Other);
    QCOMPARE(m_server->workerPids().size(), 1);
}

void TestServerJail::malformedTrafficIsRefused_data()
{
    QTest::addColumn<bool>("handshakeFirst");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("halfClose"); // the client ends its side after the bytes
    QTest::addColumn<int>("code");       // the code the ERROR carries (PROTOCOL.md §7)
    QTest::addColumn<bool>("mustAnswer"); // PROTOCOL.md §3.1, §7: ERROR before the close; none for a cut-off frame

    QByteArray random(4096, Qt::Uninitialized);
    QRandomGenerator generator(42);
    generator.fillRange(reinterpret_cast<quint32 *>(random.data()), random.size() / 4);
    random[0] = 0x13; // anything but the frame marker
    const QByteArray http("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88\r\n\r\n");
    const QByteArray hello = frameBytes(proto::Hello{proto::ProtocolVersion, "malformed-test"});
    const QByteArray getFrame = frameBytes(proto::GetRequest{"ok.bin", 0, proto::ToEnd});
    QByteArray wrongMagic = hello;
    wrongMagic[8] = 'X';
    QByteArray wrongVersion = frameBytes(proto::Hello{99, "future"});
    QByteArray flagsSet = getFrame;
    flagsSet[3] = 0x01;
    QByteArray trailing = getFrame + "junk";
    trailing[7] = char(trailing[7] + 4);

    const int badRequest = int(ErrorCode::BadRequest);
    const QByteArray oversize = QByteArray::fromHex("f701000010000001");     // HELLO of 256 MiB + 1
    const QByteArray huge = QByteArray::fromHex("f7010000ffffffff");         // HELLO of 4 GiB - 1
    const QByteArray justOver = QByteArray::fromHex("f704000000100001");     // GET of 1 MiB + 1
    const QByteArray unknownType = QByteArray::fromHex("f733000000000000");
    QTest::newRow("random bytes") << false << random << false << badRequest << true;
    QTest::newRow("random bytes after hello") << true << random << false << badRequest << true;
    QTest::newRow("http request") << false << http << false << badRequest << true;
    QTest::newRow("http request after hello") << true << http << false << badRequest << true;
    QTest::newRow("oversize length") << false << oversize << false << badRequest << true;
    QTest::newRow("4 GiB length") << false << huge << false << badRequest << true;
    QTest::newRow("oversize length after hello") << true << justOver << false << badRequest << true;
    QTest::newRow("unknown type after hello") << true << unknownType << false << badRequest << true;
    QTest::newRow("reserved flags after hello") << true << flagsSet << false << badRequest << true;
    QTest::newRow("trailing bytes in a payload") << true << trailing << false << badRequest << true;
    QTest::newRow("wrong magic") << false << wrongMagic << false << badRequest << true;
    QTest::newRow("wrong version") << false << wrongVersion << false << int(ErrorCode::UnsupportedVersion) << true;
    QTest::newRow("frame cut off before close") << false << hello.left(10) << true << badRequest << false;
    QTest::newRow("header cut off before close") << false << hello.left(5) << true << badRequest << false;
    QTest::newRow("frame cut off after hello") << true << getFrame.left(12) << true << badRequest << false;
    QTest::newRow("request before hello") << false << getFrame << false << badRequest << true;
    QTest::newRow("server message sent to the server") << true << frameBytes(proto::Busy{5, "x"}) << false
                                                       << badRequest << true;
}

// Garbage gets an ERROR frame with the documented code and a close; only a frame cut off by
// the client's own close may get the close alone. Never silence, never a reply that serves
// something. Afterwards the one worker is the same process and serves a normal download.
void TestServerJail::malformedTrafficIsRefused()
{
    QFETCH(bool, handshakeFirst);
    QFETCH(QByteArray, bytes);
    QFETCH(bool, halfClose);
    QFETCH(int, code);
    QFETCH(bool, mustAnswer);
    const QList<qint64> workersBefore = m_server->workerPids();

    TestClient client(20000);
    if (handshakeFirst) {
        const Status opened = client.open(m_server->host(), m_server->port());
        QVERIFY2(opened.ok(), qPrintable(opened.toString()));
    } else {
        QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    }
    client.sendRaw(bytes); // may fail once the server has closed: that is allowed
    if (halfClose) {
        client.shutdownWrite();
    }
    std::vector<proto::Message> frames;
    const Status end = client.waitForClose(&frames, 30000);
    const bool gotError = !frames.empty() && std::holds_alternative<proto::Error>(frames.front());
    QVERIFY2(end.outcome == Outcome::Closed || (end.outcome == Outcome::Reset && gotError),
             qPrintable(QStringLiteral("connection ended with %1 after %2 frame(s)")
                            .arg(end.toString())
                            .arg(frames.size())));
    QVERIFY2(gotError || !mustAnswer, "closed without the ERROR frame PROTOCOL.md requires");
    for (const proto::Message &m : frames) {
        const auto *error = std::get_if<proto::Error>(&m);
        QVERIFY2(error, "a malformed request got something other than ERROR");
        QVERIFY2(error->code == ErrorCode(code), proto::errorCodeName(error->code));
    }

    QCOMPARE(m_server->workerPids(), workersBefore);
    TestClient next;
    QVERIFY(next.open(m_server->host(), m_server->port()).ok());
    const GetResult r = next.get("ok.bin");
    QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
    QVERIFY(r.data == patternBytes(1, 0, 65536));
}

QTEST_GUILESS_MAIN(TestServerJail)
#include "tst_server_jail.moc"
