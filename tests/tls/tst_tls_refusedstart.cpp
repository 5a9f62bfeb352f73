// A start refused for a damaged identity binds nothing at all: not the Ferry port, not --metrics-listen,
// not the admin socket (docs/SECURITY.md, "A damaged identity is refused"). The real ferry-server is
// started on a state directory whose identity.key is garbage, with an admin socket path and a metrics
// port that would show a bind: a free socket path's folder must stay unmade and a free port free, and
// taken ones must not be what the refusal speaks of ("in use", "cannot bind"): the identity comes first.
#include "serverprocess.h"
#include "testtree.h"
#include "tlstesthelpers.h"

#include <QDir>
#include <QFile>
#include <QLocalServer>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace tlstest;
using ferrytest::TestTree;

class TestTlsRefusedStart : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void refusedStartBindsNothing_data();
    void refusedStartBindsNothing();

private:
    // A state directory holding a damaged identity.key; the path.
    QString damagedStateDir();

    TestTree m_tree;
    QTemporaryDir m_work;
    QTcpServer m_ferryOccupant; // holds every refused start's --listen port
    int m_folders = 0;
};

void TestTlsRefusedStart::initTestCase()
{
    QVERIFY(m_tree.isValid() && m_work.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("f.bin"), 100, 1).isEmpty());
    QVERIFY(m_ferryOccupant.listen(QHostAddress::LocalHost, 0));
}

QString TestTlsRefusedStart::damagedStateDir()
{
    const QString dir = m_work.filePath(QStringLiteral("state-%1").arg(++m_folders));
    QFile key(dir + QStringLiteral("/identity.key"));
    if (!QDir().mkpath(dir) || !key.open(QIODevice::WriteOnly) || key.write(QByteArray(300, '\x9c')) != 300
        || !key.setPermissions(QFile::ReadOwner | QFile::WriteOwner))
        return {};
    return dir;
}

void TestTlsRefusedStart::refusedStartBindsNothing_data()
{
    QTest::addColumn<bool>("adminSocketTaken");
    QTest::addColumn<bool>("metricsPortTaken");
    QTest::newRow("admin socket and metrics port free") << false << false;
    QTest::newRow("admin socket in use") << true << false;
    QTest::newRow("metrics port in use") << false << true;
}

void TestTlsRefusedStart::refusedStartBindsNothing()
{
    QFETCH(bool, adminSocketTaken);
    QFETCH(bool, metricsPortTaken);
    const QString state = damagedStateDir();
    QVERIFY(!state.isEmpty());
    // In a folder not there yet, which claiming the socket would make first.
    const QString adminFolder = m_work.filePath(QStringLiteral("run-%1").arg(m_folders));
    const QString adminSocket = adminFolder + QStringLiteral("/admin.sock");
    QLocalServer adminOccupant; // a running server's admin socket, as bindAdminSocket() would find it
    if (adminSocketTaken) {
        QVERIFY(QDir().mkpath(adminFolder));
        QVERIFY2(adminOccupant.listen(adminSocket), qPrintable(adminOccupant.errorString()));
    }
    QTcpServer metricsOccupant;
    QVERIFY(metricsOccupant.listen(QHostAddress::LocalHost, 0));
    const quint16 metricsPort = metricsOccupant.serverPort();
    if (!metricsPortTaken)
        metricsOccupant.close(); // free again, for the server to take if it wrongly binds before refusing

    const Run result = ServerProcess::run(
        tlsOnly({QStringLiteral("--root"), m_tree.root(), QStringLiteral("--listen"),
                 QStringLiteral("127.0.0.1:%1").arg(m_ferryOccupant.serverPort()), QStringLiteral("--state-dir"),
                 state, QStringLiteral("--admin-socket"), adminSocket, QStringLiteral("--metrics-listen"),
                 QStringLiteral("127.0.0.1:%1").arg(metricsPort)}),
        20000);
    const QString err = QString::fromUtf8(result.err).trimmed();
    QVERIFY2(result.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(result.exitCode).arg(err)));
    QVERIFY2(err.count(u'\n') == 0, qPrintable(QStringLiteral("reason not on one line: ") + err));
    // The identity's refusal, not the admin socket's or a port's: those were never tried.
    QVERIFY2(err.startsWith(QStringLiteral("ferry-server: cannot start: the server key ")), qPrintable(err));
    QVERIFY2(err.contains(QStringLiteral("identity.key is damaged")), qPrintable(err));
    QVERIFY2(!err.contains(QStringLiteral("in use")) && !err.contains(QStringLiteral("bind")), qPrintable(err));
    if (adminSocketTaken)
        QVERIFY(QFile::exists(adminSocket)); // the running server's, left alone
    else
        QVERIFY2(!QFile::exists(adminFolder), "a refused start made the admin socket's folder");
    if (!metricsPortTaken) { // still free: nothing holds it now (the process is gone either way)
        QVERIFY2(metricsOccupant.listen(QHostAddress::LocalHost, metricsPort),
                 qPrintable(metricsOccupant.errorString()));
    }
}

QTEST_GUILESS_MAIN(TestTlsRefusedStart)
#include "tst_tls_refusedstart.moc"
