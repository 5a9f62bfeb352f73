// ferry-server under Type=notify: the real server, a real $NOTIFY_SOCKET. READY=1 once listening,
// RELOADING=1 then READY=1 around SIGHUP (a refused reload included), STOPPING=1 on SIGTERM; a path and
// an abstract socket name both work.
#include "serverprocess.h"
#include "testtree.h"

#include <QtTest>

#include <csignal>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace ferrytest;

namespace {

// The receiving end of $NOTIFY_SOCKET, as systemd holds it: an AF_UNIX datagram socket.
class NotifyListener
{
public:
    // `name` is a path, or "@name" for the abstract namespace.
    explicit NotifyListener(const QByteArray &name) : m_name(name)
    {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, name.constData(), size_t(name.size()));
        if (name.startsWith('@'))
            address.sun_path[0] = '\0';
        const auto length = socklen_t(offsetof(sockaddr_un, sun_path) + size_t(name.size()));
        m_bound = m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), length) == 0;
    }
    ~NotifyListener()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        if (!m_name.startsWith('@'))
            ::unlink(m_name.constData());
    }
    bool isBound() const { return m_bound; }
    // The next datagram within `timeoutMs`, or empty.
    QByteArray next(int timeoutMs = 10000) const
    {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, timeoutMs) != 1)
            return {};
        char buffer[4096];
        const ssize_t got = ::recv(m_fd, buffer, sizeof buffer, 0);
        return got > 0 ? QByteArray(buffer, got) : QByteArray();
    }

private:
    QByteArray m_name;
    int m_fd = -1;
    bool m_bound = false;
};

QByteArrayList fields(const QByteArray &message) { return message.split('\n'); }

} // namespace

class TestSdNotify : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanup();
    void readyReloadingStopping();
    void abstractSocketName();

private:
    TestTree m_tree;
    QTemporaryDir m_dir;
};

void TestSdNotify::initTestCase()
{
    QVERIFY(m_tree.isValid() && m_dir.isValid());
    QVERIFY(!m_tree.addTextFile(QStringLiteral("a.txt"), "hello\n").isEmpty());
}

void TestSdNotify::cleanup() { qunsetenv("NOTIFY_SOCKET"); }

void TestSdNotify::readyReloadingStopping()
{
    const QByteArray path = m_dir.filePath(QStringLiteral("notify")).toUtf8();
    NotifyListener systemd(path);
    QVERIFY(systemd.isBound());
    const QString config = m_dir.filePath(QStringLiteral("ferry.conf"));
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write("workers = 1\n") > 0);
    file.close();
    qputenv("NOTIFY_SOCKET", path);
    ServerProcess server(m_tree.root(), {"--config", config});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    const QByteArray ready = systemd.next();
    QVERIFY2(fields(ready).contains("READY=1"), ready.constData());
    QVERIFY(ready.contains("STATUS=serving " + m_tree.root().toUtf8() + " on 127.0.0.1:"));

    QVERIFY(server.signal(SIGHUP));
    const QByteArray reloading = systemd.next();
    QVERIFY2(fields(reloading).contains("RELOADING=1"), reloading.constData());
    QVERIFY(reloading.contains("\nMONOTONIC_USEC="));
    QVERIFY(fields(systemd.next()).contains("READY=1"));

    // A reload the server refuses still ends the reload for systemd: the old configuration serves on.
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write("workers = many\n") > 0);
    file.close();
    QVERIFY(server.signal(SIGHUP));
    QVERIFY(fields(systemd.next()).contains("RELOADING=1"));
    QVERIFY(fields(systemd.next()).contains("READY=1"));
    QTRY_VERIFY(server.stderrText().contains("reload refused"));

    QVERIFY(server.signal(SIGTERM));
    const QByteArray stopping = systemd.next();
    QVERIFY2(fields(stopping).contains("STOPPING=1"), stopping.constData());
    QCOMPARE(server.waitForExit(30000), 0);
    QVERIFY(systemd.next(200).isEmpty()); // nothing else was said
}

void TestSdNotify::abstractSocketName()
{
    const QByteArray name = "@ferry-notify-test-" + QByteArray::number(getpid());
    NotifyListener systemd(name);
    QVERIFY(systemd.isBound());
    qputenv("NOTIFY_SOCKET", name);
    ServerProcess server(m_tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(fields(systemd.next()).contains("READY=1"));
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestSdNotify)
#include "tst_sd_notify.moc"
