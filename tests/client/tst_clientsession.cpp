// A Session against the real ferry-server: paged listings, stat, errors, reconnecting; and a Connection's
// word for a port that accepts and never answers the TLS handshake.
#include "clienttesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "client/connection.h"
#include "client/partfile.h"
#include "client/servertrust.h"
#include "client/session.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>

#include <algorithm>

using namespace ferry::client;
using namespace clienttest;
using ferrytest::TestTree;

class TestClientSession : public QObject
{
    Q_OBJECT
private slots:
    void sessionListsFollowingPages();
    void sessionStatAndErrors();
    void sessionReconnectsAfterServerRestart();
    void serverTimingOutAnIdleSessionIsNoError_data();
    void serverTimingOutAnIdleSessionIsNoError();
    void silentTlsPortNamesTheWaitItHad();
};

void TestClientSession::sessionListsFollowingPages()
{
    TestTree tree;
    QVERIFY(tree.addManyFiles(QStringLiteral("many"), 3000, QStringLiteral("entry")));
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    Session session;
    session.setServer(server.host(), server.port());
    QSignalSpy pages(&session, &Session::listPageReceived);
    const quint64 id = session.list(QStringLiteral("many"));
    QStringList names;
    QTRY_VERIFY_WITH_TIMEOUT(!pages.isEmpty() && pages.last().at(2).toBool(), 30000);
    for (const QList<QVariant> &page : pages) {
        QCOMPARE(page.at(0).toULongLong(), id);
        for (const RemoteEntry &entry : page.at(1).value<QList<RemoteEntry>>())
            names << entry.name;
    }
    QCOMPARE(names.size(), 3000);
    names.sort();
    QCOMPARE(names.first(), QStringLiteral("entry000000"));
    QCOMPARE(names.last(), QStringLiteral("entry002999"));
    QVERIFY2(pages.size() > 1, "3000 entries are expected to take more than one page");
    QCOMPARE(session.state(), Session::State::Ready);
}

void TestClientSession::sessionStatAndErrors()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("dir/file.bin"), 12345, 7).isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    Session session;
    session.setServer(server.host(), server.port());
    QSignalSpy stats(&session, &Session::statReceived);
    QSignalSpy failures(&session, &Session::requestFailed);
    const quint64 fileId = session.stat(QStringLiteral("dir/file.bin"));
    const quint64 missingId = session.stat(QStringLiteral("dir/missing"));
    const quint64 dirId = session.stat(QStringLiteral("dir"));
    QTRY_COMPARE_WITH_TIMEOUT(stats.size() + failures.size(), 3, 15000);
    QCOMPARE(stats.size(), 2);
    QCOMPARE(stats.at(0).at(0).toULongLong(), fileId);
    const auto file = stats.at(0).at(1).value<RemoteEntry>();
    QVERIFY(file.isFile());
    QCOMPARE(file.size, qint64(12345));
    QCOMPARE(file.mtimeNs, ferrytest::fileMtimeNs(tree.path(QStringLiteral("dir/file.bin"))));
    QCOMPARE(stats.at(1).at(0).toULongLong(), dirId);
    QVERIFY(stats.at(1).at(1).value<RemoteEntry>().isDirectory());
    QCOMPARE(failures.at(0).at(0).toULongLong(), missingId);
    QCOMPARE(failures.at(0).at(1).value<ErrorKind>(), ErrorKind::RemoteError);
    QVERIFY(!session.serverAgent().isEmpty());
}

void TestClientSession::sessionReconnectsAfterServerRestart()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("a.bin"), 10, 1).isEmpty());
    auto server = std::make_unique<ServerProcess>(tree.root());
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    const quint16 port = server->port();

    Session session;
    session.setServer(server->host(), port);
    QSignalSpy stats(&session, &Session::statReceived);
    session.stat(QStringLiteral("a.bin"));
    QVERIFY(stats.wait(15000));
    const qint64 group = server->pid(); // the server leads its own process group
    server->kill();
    server.reset();
    // Same port again: the engine reconnects on the next request by itself. The killed workers hold the
    // listening socket until they are gone: wait for the last member of the old group (a zombie holds none).
    auto oldGroupGone = [group] {
        const QList<qint64> members = ServerProcess::processGroupMembers(group);
        return std::all_of(members.cbegin(), members.cend(),
                           [](qint64 pid) { return ServerProcess::processState(pid) == 'Z'; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(oldGroupGone(), 10000);
    server = std::make_unique<ServerProcess>(tree.root(), QStringList{QStringLiteral("--listen"),
                                                                      QStringLiteral("127.0.0.1:%1").arg(port)});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    session.stat(QStringLiteral("a.bin"));
    QTRY_COMPARE_WITH_TIMEOUT(stats.size(), 2, 15000);
    QCOMPARE(session.state(), Session::State::Ready);
}

void TestClientSession::serverTimingOutAnIdleSessionIsNoError_data()
{
    QTest::addColumn<QString>("option");
    QTest::addColumn<bool>("requestFirst");
    // Connected (e.g. to probe the server) but no request yet: the request timeout.
    QTest::newRow("no request after the handshake") << "--request-timeout" << false;
    // Between requests: the idle timeout.
    QTest::newRow("idle after a request") << "--idle-timeout" << true;
}

// The server may close a quiet connection, sending ERROR TIMEOUT first (PROTOCOL.md 3.2).
// That is the routine end of an idle connection, not a failure: the session says
// Disconnected and reconnects for the next request.
void TestClientSession::serverTimingOutAnIdleSessionIsNoError()
{
    QFETCH(QString, option);
    QFETCH(bool, requestFirst);
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("a.bin"), 10, 1).isEmpty());
    ServerProcess server(tree.root(), {option, QStringLiteral("1s")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    Session session;
    session.setServer(server.host(), server.port());
    QSignalSpy errors(&session, &Session::errorOccurred);
    QSignalSpy stats(&session, &Session::statReceived);
    if (requestFirst)
        session.stat(QStringLiteral("a.bin"));
    else
        session.connectToServer();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::Ready, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::Disconnected, 15000);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.isEmpty() ? QString() : errors.first().at(1).toString()));
    QVERIFY(session.errorString().isEmpty());

    session.stat(QStringLiteral("a.bin"));
    QTRY_COMPARE_WITH_TIMEOUT(stats.size(), requestFirst ? 2 : 1, 15000);
    QCOMPARE(session.state(), Session::State::Ready);
    QVERIFY(errors.isEmpty());
}

// A port that accepts TCP and stays silent to the ClientHello is given up on after the connect timeout
// (15 s by default), and the message used to say the stall timeout's "30 s". Here the connect timeout is
// shortened, so the message must name that wait, not either constant.
void TestClientSession::silentTlsPortNamesTheWaitItHad()
{
    ServerTrust &trust = ServerTrust::instance();
    const bool wasPlaintext = trust.isPlaintext();
    trust.setPlaintext(false);
    const auto restore = qScopeGuard([&] { trust.setPlaintext(wasPlaintext); });
    QTcpServer silent; // connections complete in the kernel's backlog and hear nothing
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    Connection connection;
    constexpr int ConnectTimeoutMs = 700;
    connection.setConnectTimeout(ConnectTimeoutMs);
    QSignalSpy failed(&connection, &Connection::failed);
    QElapsedTimer clock;
    clock.start();
    connection.open(QStringLiteral("127.0.0.1"), silent.serverPort());
    QVERIFY(failed.wait(10000));
    // A coarse QTimer may fire up to 5 % early.
    QVERIFY2(clock.elapsed() >= ConnectTimeoutMs * 95 / 100, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(failed.first().at(0).value<ErrorKind>(), ErrorKind::ConnectionError);
    const QString reason = failed.first().at(1).toString();
    QCOMPARE(reason, QStringLiteral("127.0.0.1:%1 accepted the connection but did not complete the TLS handshake "
                                    "within 700 ms")
                         .arg(silent.serverPort()));
}

QTEST_GUILESS_MAIN(TestClientSession)
#include "tst_clientsession.moc"
