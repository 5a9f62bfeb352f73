// ferry-get with a server list (ferry://a,b/path): it tries the servers in order and fails over on a
// refused connection, on BUSY (a draining server) and on a connection lost mid-transfer, resuming its
// .part on the next server, which serves the same tree (as a fleet over shared storage does).
#include "adminrequest.h"
#include "polling.h"
#include "serverprocess.h"
#include "testtree.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace ferrytest;

namespace {

quint16 closedPort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0; // released when it returns
}

QString link(const QList<quint16> &ports, const QString &path)
{
    QStringList servers;
    for (quint16 port : ports)
        servers << QStringLiteral("127.0.0.1:%1").arg(port);
    return QStringLiteral("ferry://%1/%2").arg(servers.join(u','), path);
}

bool serving(const ServerProcess &server)
{
    const QJsonArray workers = ferrytest::adminStatus(server.adminSocketPath()).value("workers").toArray();
    for (const QJsonValue &worker : workers)
        if (!worker.toObject().value("peer").toString().isEmpty())
            return true;
    return false;
}

// The length of the body a worker of `server` is sending now, 0 if none.
qint64 bodyTotal(const ServerProcess &server)
{
    const QJsonArray workers = ferrytest::adminStatus(server.adminSocketPath()).value("workers").toArray();
    for (const QJsonValue &worker : workers)
        if (const qint64 total = worker.toObject().value("bytes_total").toInteger(); total > 0)
            return total;
    return 0;
}

} // namespace

class TestClientFailover : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        if (ServerProcess::defaultProgram().isEmpty())
            QSKIP("ferry-server is not built in this tree");
    }

    void refusedConnectionGoesToTheNextServer()
    {
        TestTree tree;
        const QString file = tree.addFile("f.bin", 300000, 1);
        ServerProcess server(tree.root());
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        QTemporaryDir out;
        const auto run = ServerProcess::runProgram(GET_BIN, {"--no-progress", "-o", out.path(),
                                                             link({closedPort(), server.port()}, "f.bin")}, 30000);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QString why;
        QVERIFY2(sameContent(file, out.filePath("f.bin"), &why), qPrintable(why));
    }

    void busyServerGoesToTheNextServer()
    {
        // The first server drains: it answers BUSY before WELCOME, and the second one serves at once
        // (without the BUSY's retry wait: ferry-get is done well before the 2 s hint).
        TestTree tree;
        const QString file = tree.addFile("f.bin", 300000, 2);
        ServerProcess draining(tree.root()), other(tree.root());
        QVERIFY2(draining.start() && other.start(), qPrintable(draining.diagnostics() + other.diagnostics()));
        QCOMPARE(ferrytest::adminCall(draining.adminSocketPath(), {{"cmd", "drain"}}).value("ok").toBool(), true);
        QTemporaryDir out;
        QElapsedTimer clock;
        clock.start();
        const auto run = ServerProcess::runProgram(GET_BIN, {"--no-progress", "-o", out.path(),
                                                             link({draining.port(), other.port()}, "f.bin")}, 30000);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(clock.elapsed() < 1500, "ferry-get waited out the BUSY instead of moving on");
        QString why;
        QVERIFY2(sameContent(file, out.filePath("f.bin"), &why), qPrintable(why));
        const QJsonObject pool = ferrytest::adminStatus(draining.adminSocketPath()).value("pool").toObject();
        QVERIFY(pool.value("rejected_busy").toInt() >= 1);
    }

    void lostConnectionResumesOnTheNextServer()
    {
        // Both serve one tree (same size, same mtime): the .part continues on the second server.
        TestTree tree;
        const QString file = tree.addFile("big.bin", 12 << 20, 3);
        ServerProcess first(tree.root(), {"--rate-limit", "2M", "--log-level", "debug"});
        ServerProcess second(tree.root(), {"--rate-limit", "8M"});
        QVERIFY2(first.start() && second.start(), qPrintable(first.diagnostics() + second.diagnostics()));
        QTemporaryDir out;
        QProcess get;
        get.setProcessChannelMode(QProcess::MergedChannels);
        get.start(GET_BIN, {"--no-progress", "-o", out.path(), link({first.port(), second.port()}, "big.bin")});
        QVERIFY(get.waitForStarted());
        QVERIFY(ferrytest::pollUntil([&] { return serving(first); }, [](bool s) { return s; }, 10000));
        // Some bytes have arrived (2 MiB/s): then the first server dies.
        QVERIFY(ferrytest::pollUntil([&] { return QFileInfo(out.filePath("big.bin.part")).size(); },
                                     [](qint64 size) { return size >= (1 << 20); }, 10000) >= (1 << 20));
        first.kill();
        // The second server is asked for the rest, not the whole file: its GET is shorter than the file.
        const qint64 total = ferrytest::pollUntil([&] { return bodyTotal(second); }, [](qint64 t) { return t > 0; }, 15000);
        QVERIFY2(total > 0 && total < (12 << 20) - (1 << 20), qPrintable(QString::number(total)));
        QVERIFY(get.waitForFinished(60000));
        QVERIFY2(get.exitCode() == 0, get.readAll().constData());
        QString why;
        QVERIFY2(sameContent(file, out.filePath("big.bin"), &why), qPrintable(why));
    }
};

QTEST_GUILESS_MAIN(TestClientFailover)
#include "tst_clientfailover.moc"
