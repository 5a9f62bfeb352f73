// AdminConnection against a scripted admin socket (a QLocalServer in the test speaking recorded lines of
// docs/ADMIN.md): the states a window shows, the requests it sends after `hello`, and reconnecting.
#include "adminconnection.h"
#include "statusfixtures.h"

#include <QFile>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace ferry::admingui;

namespace {

constexpr int Timeout = 10000;

QByteArray line(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
}

const QJsonObject Hello{{"v", 1}, {"event", "hello"}, {"server", "ferry-server"}, {"version", "0.1.0"},
                        {"pid", 4242}, {"protocol", 1}};

// A scripted server: greets every client with `greeting`, records the lines it receives.
class FakeServer : public QObject
{
public:
    explicit FakeServer(QByteArray greeting) : m_greeting(std::move(greeting))
    {
        connect(&m_server, &QLocalServer::newConnection, this, [this] {
            while (QLocalSocket *client = m_server.nextPendingConnection()) {
                m_client = client;
                client->write(m_greeting);
                connect(client, &QLocalSocket::readyRead, this, [this, client] {
                    while (client->canReadLine())
                        m_received.append(QJsonDocument::fromJson(client->readLine()).object());
                });
            }
        });
    }
    bool listen(const QString &path)
    {
        QLocalServer::removeServer(path);
        return m_server.listen(path);
    }
    void close() { m_server.close(); }
    QLocalSocket *client() const { return m_client; }
    QList<QJsonObject> m_received;

private:
    QLocalServer m_server;
    QByteArray m_greeting;
    QPointer<QLocalSocket> m_client;
};

QStringList commandsOf(const QList<QJsonObject> &lines)
{
    QStringList names;
    for (const QJsonObject &object : lines)
        names.append(object.value(QStringLiteral("cmd")).toString());
    return names;
}

} // namespace

class TestAdminConnection : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void defaultPathFollowsTheContract();
    void notRunningNamesThePathAndRetries();
    void pathThatIsNoSocketIsNamed();
    void helloThenHistoryAndSubscription();
    void permissionDeniedExplainsWhoMayConnect();
    void onlyClosingErrorsEndTheConversation();
    void reconnectsWhenTheServerComesBack();
    void relativePathIsMadeAbsolute();

private:
    QTemporaryDir m_dir;
    QString m_path;
};

void TestAdminConnection::init()
{
    QVERIFY(m_dir.isValid());
    m_path = m_dir.filePath(QStringLiteral("admin.sock"));
}

void TestAdminConnection::defaultPathFollowsTheContract()
{
    const QString path = defaultAdminSocketPath();
    QVERIFY(path.endsWith(QStringLiteral("/admin.sock")));
    if (::geteuid() == 0)
        QCOMPARE(path, QStringLiteral("/run/ferry/admin.sock"));
    else if (!qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR"))
        QCOMPARE(path, qEnvironmentVariable("XDG_RUNTIME_DIR") + QStringLiteral("/ferry/admin.sock"));
}

void TestAdminConnection::notRunningNamesThePathAndRetries()
{
    AdminConnection connection;
    connection.setRetryInterval(100);
    connection.setSocketPath(m_path);
    QSignalSpy states(&connection, &AdminConnection::stateChanged);
    connection.start();
    QTRY_COMPARE_WITH_TIMEOUT(connection.state(), AdminConnection::State::NotRunning, Timeout);
    QVERIFY2(connection.stateText().contains(m_path), qPrintable(connection.stateText()));
    QVERIFY(connection.stateText().contains(QStringLiteral("not running")));
    // Retrying: it goes back to Connecting and then NotRunning again, without anyone asking.
    const auto attempts = [&] {
        return std::count_if(states.cbegin(), states.cend(), [](const QList<QVariant> &args) {
            return args.at(0).value<AdminConnection::State>() == AdminConnection::State::Connecting;
        });
    };
    QTRY_VERIFY_WITH_TIMEOUT(attempts() >= 3, Timeout);
    QCOMPARE(connection.sendRequest({{"cmd", "status"}}), -1);
}

// A mistyped path (the folder that holds the socket, a file) is named as such, not "a stale socket?".
void TestAdminConnection::pathThatIsNoSocketIsNamed()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(QStringLiteral("admin.txt")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    const QList<std::pair<QString, QString>> cases{{dir.path(), QStringLiteral("is a folder")},
                                                   {file.fileName(), QStringLiteral("is a file")}};
    for (const auto &[path, says] : cases) {
        AdminConnection connection;
        connection.setRetryInterval(100);
        connection.setSocketPath(path);
        connection.start();
        QTRY_COMPARE_WITH_TIMEOUT(connection.state(), AdminConnection::State::NotRunning, Timeout);
        QVERIFY2(connection.stateText().startsWith(path + u' ' + says + QStringLiteral(", not an admin socket")),
                 qPrintable(connection.stateText()));
    }
}

void TestAdminConnection::helloThenHistoryAndSubscription()
{
    FakeServer server(line(Hello));
    QVERIFY(server.listen(m_path));
    AdminConnection connection;
    connection.setSocketPath(m_path);
    QSignalSpy statuses(&connection, &AdminConnection::statusReceived);
    QSignalSpy replies(&connection, &AdminConnection::replyReceived);
    connection.start();
    QTRY_COMPARE_WITH_TIMEOUT(connection.state(), AdminConnection::State::Connected, Timeout);
    QCOMPARE(connection.hello().value(QStringLiteral("pid")).toInt(), 4242);
    QTRY_COMPARE_WITH_TIMEOUT(server.m_received.size(), 2, Timeout);
    QCOMPARE(commandsOf(server.m_received), (QStringList{"history", "subscribe"}));
    QCOMPARE(server.m_received.at(1).value(QStringLiteral("interval_ms")).toInt(), 1000);
    QCOMPARE(server.m_received.at(1).value(QStringLiteral("v")).toInt(), 1);

    // A push and a reply split across writes, with a \r and an unknown event in between.
    const QByteArray push = line({{"v", 1}, {"event", "status"}, {"seq", 1}, {"status", fixtures::status(1000, {})}});
    server.client()->write(push.left(10));
    server.client()->flush();
    server.client()->write(push.mid(10) + "{\"v\":1,\"event\":\"future\"}\r\n");
    const int id = connection.sendRequest({{"cmd", "drain"}});
    QVERIFY(id > 0);
    QTRY_COMPARE_WITH_TIMEOUT(server.m_received.size(), 3, Timeout);
    QCOMPARE(server.m_received.at(2).value(QStringLiteral("id")).toInt(), id);
    server.client()->write(line({{"v", 1}, {"id", id}, {"ok", true}, {"cmd", "drain"}, {"state", "draining"}}));
    QTRY_COMPARE_WITH_TIMEOUT(statuses.size(), 1, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(replies.size(), 1, Timeout);
    QCOMPARE(replies.at(0).at(0).toInt(), id);
    QCOMPARE(connection.state(), AdminConnection::State::Connected);
}

void TestAdminConnection::permissionDeniedExplainsWhoMayConnect()
{
    FakeServer server(line({{"v", 1}, {"ok", false},
                            {"error", QJsonObject{{"code", "permission_denied"}, {"message", "not uid 1000"}}}}));
    QVERIFY(server.listen(m_path));
    AdminConnection connection;
    connection.setSocketPath(m_path);
    connection.start();
    QTRY_COMPARE_WITH_TIMEOUT(connection.state(), AdminConnection::State::PermissionDenied, Timeout);
    QVERIFY(connection.stateText().contains(QStringLiteral("root")));
    QVERIFY(connection.stateText().contains(QStringLiteral("--admin-group")));
    QVERIFY(connection.stateText().contains(m_path));
    QVERIFY(!connection.isConnected());
}

void TestAdminConnection::onlyClosingErrorsEndTheConversation()
{
    FakeServer server(line(Hello));
    QVERIFY(server.listen(m_path));
    AdminConnection connection;
    connection.setSocketPath(m_path);
    QSignalSpy replies(&connection, &AdminConnection::replyReceived);
    connection.start();
    QTRY_COMPARE_WITH_TIMEOUT(connection.state(), AdminConnection::State::Connected, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(server.client(), Timeout);
    // An error reply to a request without id: the connection stays open (ADMIN.md §3.4).
    server.client()->write(line({{"v", 1}, {"ok", false}, {"cmd", "frobnicate"},
                                 {"error", QJsonObject{{"code", "unknown_command"}, {"message", "unknown"}}}}));
    QTRY_COMPARE_WITH_TIMEOUT(replies.size(), 1, Timeout);
    QCOMPARE(replies.at(0).at(0).toInt(), -1);
    QCOMPARE(connection.state(), AdminConnection::State::Connected);
    // `malformed` is the server giving up on the stream.
    server.client()->write(line({{"v", 1},
                                 {"ok", false},
                                 {"error", QJsonObject{{"code", "malformed"},
                                                       {"message", "invalid JSON at byte 1"}}}}));
    QTRY_COMPARE_WITH_TIMEOUT(connection.state(), AdminConnection::State::Failed, Timeout);
    QVERIFY(connection.stateText().contains(QStringLiteral("invalid JSON")));
}

void TestAdminConnection::reconnectsWhenTheServerComesBack()
{
    auto server = std::make_unique<FakeServer>(line(Hello));
    QVERIFY(server->listen(m_path));
    AdminConnection connection;
    connection.setRetryInterval(200);
    connection.setSocketPath(m_path);
    QSignalSpy hellos(&connection, &AdminConnection::helloReceived);
    connection.start();
    QTRY_COMPARE_WITH_TIMEOUT(connection.state(), AdminConnection::State::Connected, Timeout);
    server.reset(); // closes the listener and the client, removes the socket file
    QTRY_COMPARE_WITH_TIMEOUT(connection.state(), AdminConnection::State::NotRunning, Timeout);
    server = std::make_unique<FakeServer>(line(Hello));
    QVERIFY(server->listen(m_path));
    QTRY_COMPARE_WITH_TIMEOUT(connection.state(), AdminConnection::State::Connected, Timeout);
    QCOMPARE(hellos.size(), 2);
}

void TestAdminConnection::relativePathIsMadeAbsolute()
{
    AdminConnection connection;
    connection.setSocketPath(QStringLiteral("relative/admin.sock"));
    QVERIFY(QDir::isAbsolutePath(connection.socketPath()));
    QVERIFY(connection.socketPath().endsWith(QStringLiteral("/relative/admin.sock")));
}

QTEST_MAIN(TestAdminConnection)
#include "tst_adminconnection.moc"
