// Where the admin plane lives and when it answers (docs/ADMIN.md §1, §5.2, §7): --admin-socket none,
// the default path taken by another server, the modes of what the server creates, resume while the
// server stops, and ferry-ctl's exit code for a peer that breaks the protocol.
#include "admintestkit.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

using ferry::admin::Json;
using namespace ferrytest;

namespace {

// The server's default when given no --admin-socket (docs/ADMIN.md §1).
QString defaultAdminSocket()
{
    if (::geteuid() == 0)
        return QStringLiteral("/run/ferry/admin.sock");
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    return runtime.isEmpty() ? QStringLiteral("/tmp/ferry-%1/admin.sock").arg(::geteuid())
                             : runtime + QStringLiteral("/ferry/admin.sock");
}

struct stat statOf(const QString &path)
{
    struct stat st {};
    ::stat(QFile::encodeName(path).constData(), &st);
    return st;
}

bool downloadWorks(const ServerProcess &server)
{
    TestClient client(10000);
    return client.open(server.host(), server.port()).ok() && client.get("small.bin").status.ok();
}

// A Unix socket at `path` that accepts one client and then either closes at once or sends `reply`:
// what ferry-ctl meets when the peer is not a Ferry admin plane.
class FakeAdminSocket
{
public:
    FakeAdminSocket(const QString &path, QByteArray reply) : m_reply(std::move(reply))
    {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const QByteArray native = QFile::encodeName(path);
        std::memcpy(address.sun_path, native.constData(), size_t(native.size()));
        m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        m_listening = m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0
                      && ::listen(m_fd, 1) == 0;
        if (m_listening)
            m_thread = std::thread([this] { serveOne(); });
    }
    ~FakeAdminSocket()
    {
        if (m_thread.joinable()) {
            ::shutdown(m_fd, SHUT_RDWR); // wakes accept() if no client came
            m_thread.join();
        }
        if (m_fd >= 0)
            ::close(m_fd);
    }
    bool isListening() const { return m_listening; }

private:
    void serveOne()
    {
        const int client = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0)
            return;
        if (!m_reply.isEmpty())
            (void)!::write(client, m_reply.constData(), size_t(m_reply.size()));
        ::close(client);
    }

    QByteArray m_reply;
    int m_fd = -1;
    bool m_listening = false;
    std::thread m_thread;
};

} // namespace

class TestAdminPaths : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void noneDisablesTheAdminPlane();
    void takenDefaultPathWarnsAndStartsWithout();
    void createdDirectoryAndSocketModes();
    void resumeWhileStoppingIsAConflict();
    void ctlExitsFiveOnABrokenPeer_data();
    void ctlExitsFiveOnABrokenPeer();

private:
    TestTree m_tree;
};

void TestAdminPaths::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("small.bin"), 4096, 1).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("slow.bin"), 4 * 1024 * 1024, 2).isEmpty());
}

void TestAdminPaths::noneDisablesTheAdminPlane()
{
    ServerProcess server(m_tree.root(), {"--workers", "1", "--admin-socket", "none"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(downloadWorks(server));
    QCOMPARE(ServerProcess::unixSocketPaths(server.pid()), QStringList());
    // Not bound, not warned about.
    QVERIFY2(!server.stderrText().contains("admin socket"), qPrintable(server.stderrText()));
    QCOMPARE(server.stop(), 0);
}

// Where the default path of the next test lives. As root the default is /run/ferry/admin.sock, which a
// real server or another suite may hold: both servers and ferry-ctl then run in a mount namespace of
// their own with a fresh tmpfs on /run (the first makes it, the others join it). As anyone else the
// default follows XDG_RUNTIME_DIR, pointed at a private directory for the test.
namespace {
class PrivateDefaultPath
{
public:
    PrivateDefaultPath()
    {
        m_saved = qgetenv("XDG_RUNTIME_DIR");
        if (::geteuid() != 0)
            qputenv("XDG_RUNTIME_DIR", m_dir.path().toLocal8Bit());
    }
    ~PrivateDefaultPath()
    {
        if (::geteuid() != 0)
            qputenv("XDG_RUNTIME_DIR", m_saved);
    }
    bool isValid() const { return m_dir.isValid(); }
    // A ferry-server that makes the namespace (as root), or ferry-server itself.
    QString creator()
    {
        return ::geteuid() == 0 ? script(QStringLiteral("make"), makeNamespace()) : ServerProcess::defaultProgram();
    }
    // A ferry-server (or, with `program`, another binary) that joins the namespace of `pid`.
    QString joiner(qint64 pid, const QString &program = ServerProcess::defaultProgram())
    {
        if (::geteuid() != 0)
            return program;
        return script(QStringLiteral("join-%1").arg(QFileInfo(program).fileName()),
                      QStringLiteral("exec nsenter --mount=/proc/%1/ns/mnt -- '%2' \"$@\"\n").arg(pid).arg(program));
    }

private:
    static QString makeNamespace()
    {
        return QStringLiteral("exec unshare --mount --propagation private -- sh -c "
                              "'mount -t tmpfs ferry-test /run && exec \"$0\" \"$@\"' '%1' \"$@\"\n")
            .arg(ServerProcess::defaultProgram());
    }
    QString script(const QString &name, const QString &body)
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(("#!/bin/sh\n" + body).toUtf8()) < 0)
            qWarning("cannot write %s", qPrintable(path));
        file.close();
        file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        return path;
    }

    QTemporaryDir m_dir;
    QByteArray m_saved;
};
} // namespace

// A server given no --admin-socket that finds the default path held by a running server starts all
// the same, serves, holds no admin socket, and says so in a warning.
void TestAdminPaths::takenDefaultPathWarnsAndStartsWithout()
{
    PrivateDefaultPath paths;
    QVERIFY(paths.isValid());
    const QString path = defaultAdminSocket();
    ServerProcess holder(m_tree.root(), {"--workers", "1", "--admin-socket", path});
    holder.setProgram(paths.creator());
    QVERIFY2(holder.start(), qPrintable(holder.diagnostics()));
    QCOMPARE(ServerProcess::unixSocketPaths(holder.pid()), QStringList{path}); // the probe below sees sockets

    ServerProcess second(m_tree.root(), {"--workers", "1"});
    second.useDefaultAdminSocket();
    second.setProgram(paths.joiner(holder.pid()));
    QVERIFY2(second.start(), qPrintable(second.diagnostics()));
    QVERIFY(downloadWorks(second));
    const QByteArray log = second.stderrText();
    QVERIFY2(log.contains("WARN") && log.contains("admin plane disabled") && log.contains(QFile::encodeName(path)),
             log.constData());
    QCOMPARE(ServerProcess::unixSocketPaths(second.pid()), QStringList());
    QCOMPARE(second.stop(), 0);
    // The holder kept its socket.
    QCOMPARE(runCtl(path, {"status"}, {}, paths.joiner(holder.pid(), QStringLiteral(CTL_BIN))).exitCode, 0);
    QCOMPARE(holder.stop(), 0);
}

// The directory the server creates is 0700 and the socket 0600; with --admin-group, 0750 and 0660 and
// owned by the group; a directory that exists is used as it is.
void TestAdminPaths::createdDirectoryAndSocketModes()
{
    QTemporaryDir base;
    const QString made = base.filePath(QStringLiteral("made/admin.sock"));
    ServerProcess plain(m_tree.root(), {"--workers", "1", "--admin-socket", made});
    QVERIFY2(plain.start(), qPrintable(plain.diagnostics()));
    QCOMPARE(int(statOf(base.filePath(QStringLiteral("made"))).st_mode & 07777), 0700);
    QCOMPARE(int(statOf(made).st_mode & 07777), 0600);
    QCOMPARE(plain.stop(), 0);

    // Root may hand the socket to any group; anyone else only to a group of their own.
    const group *g = ::geteuid() == 0 ? ::getgrnam("nogroup") : ::getgrgid(::getgid());
    QVERIFY2(g, "no group to give the socket to");
    const QString grouped = base.filePath(QStringLiteral("grouped/admin.sock"));
    ServerProcess shared(m_tree.root(), {"--workers", "1", "--admin-socket", grouped, "--admin-group", g->gr_name});
    QVERIFY2(shared.start(), qPrintable(shared.diagnostics()));
    const struct stat dir = statOf(base.filePath(QStringLiteral("grouped")));
    const struct stat socket = statOf(grouped);
    QCOMPARE(int(dir.st_mode & 07777), 0750);
    QCOMPARE(dir.st_gid, g->gr_gid);
    QCOMPARE(int(socket.st_mode & 07777), 0660);
    QCOMPARE(socket.st_gid, g->gr_gid);
    QCOMPARE(shared.stop(), 0);

    const QString keptDir = base.filePath(QStringLiteral("kept"));
    QVERIFY(QDir().mkdir(keptDir));
    QVERIFY(::chmod(QFile::encodeName(keptDir).constData(), 0755) == 0);
    const QString keptSocket = keptDir + QStringLiteral("/admin.sock");
    ServerProcess existing(m_tree.root(), {"--workers", "1", "--admin-socket", keptSocket});
    QVERIFY2(existing.start(), qPrintable(existing.diagnostics()));
    QCOMPARE(int(statOf(keptDir).st_mode & 07777), 0755);
    QCOMPARE(existing.stop(), 0);
}

// docs/ADMIN.md §5.2: resume while the server stops (SIGTERM) answers conflict; the stop goes on.
void TestAdminPaths::resumeWhileStoppingIsAConflict()
{
    AdminTestServer server(m_tree.root(), {"--workers", "1", "--rate-limit", "2M", "--grace", "60s"});
    QVERIFY2(server.start(), qPrintable(server.process().diagnostics()));
    auto admin = server.connect();
    QVERIFY(admin);
    Download running(server.process(), "slow.bin", 2, 4 * 1024 * 1024); // about 2 s
    QTRY_VERIFY_WITH_TIMEOUT(running.received() > 0, 10000);
    QVERIFY(server.process().signal(SIGTERM));
    const auto stopping = [](const Json &s) { return textAt(s, {"server", "state"}) == "stopping"; };
    QVERIFY(stopping(awaitStatus(server, stopping, 10000)));
    const auto reply = admin->call("resume");
    QVERIFY2(reply && textAt(*reply, {"error", "code"}) == "conflict", reply ? reply->dump().c_str() : "none");
    QVERIFY2(!running.hasFinished(), "the transfer ended before resume was tried: the server was not stopping");
    running.join();
    QVERIFY2(running.intact(), qPrintable(running.describe()));
    QCOMPARE(server.process().waitForExit(30000), 0);
}

void TestAdminPaths::ctlExitsFiveOnABrokenPeer_data()
{
    QTest::addColumn<QByteArray>("reply");
    QTest::newRow("closed without a greeting") << QByteArray();
    QTest::newRow("a line that is no JSON") << QByteArray("HTTP/1.1 200 OK\n");
}

// docs/ADMIN.md §7: exit 5 for a protocol or I/O error (unexpected close, unreadable reply).
void TestAdminPaths::ctlExitsFiveOnABrokenPeer()
{
    QFETCH(QByteArray, reply);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("admin.sock"));
    FakeAdminSocket fake(path, reply);
    QVERIFY(fake.isListening());
    const CtlResult r = runCtl(path, {"status"});
    QVERIFY2(r.exitCode == 5,
             qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(QString::fromLocal8Bit(r.err))));
    QVERIFY(!r.err.isEmpty());
}

QTEST_GUILESS_MAIN(TestAdminPaths)
#include "tst_admin_paths.moc"
