// The admin log lines of the real server (docs/SECURITY.md, "Where tokens live"; docs/ADMIN.md): every
// command leaves one line with the caller's uid, and that line can be trusted. A token's secret given
// where a token id belongs (`ferry-ctl token revoke SECRET`, an easy slip) never reaches the log, and a
// command name holding a line break cannot forge a second line under another uid. And the audit log's own
// stream (audit_subscribe) still lets a subscriber in when network clients have made its lines long.
#include "adminrequest.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <unistd.h>

using namespace ferrytest;

namespace {

ServerProcess::RunResult ctl(const ServerProcess &server, QStringList args)
{
    return ServerProcess::runProgram(QStringLiteral(CTL_BIN),
                                     QStringList{"--admin-socket", server.adminSocketPath()} + args);
}

// The lines of the server's stderr that hold `text`.
QList<QByteArray> linesWith(const ServerProcess &server, const QByteArray &text)
{
    QList<QByteArray> found;
    for (const QByteArray &line : server.stderrText().split('\n'))
        if (line.contains(text))
            found.append(line);
    return found;
}

} // namespace

class TestServerAdminLog : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void aSecretGivenAsATokenIdIsNotLogged();
    void aCommandNameCannotForgeALogLine();
    void longAuditLinesStillLetASubscriberIn();

private:
    std::unique_ptr<TestTree> m_tree;
};

void TestServerAdminLog::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    m_tree = std::make_unique<TestTree>();
    QVERIFY(m_tree->isValid());
    QVERIFY(!m_tree->addFile("pub/a.bin", 1000, 1).isEmpty());
}

void TestServerAdminLog::aSecretGivenAsATokenIdIsNotLogged()
{
    ServerProcess server(m_tree->root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const ServerProcess::RunResult created = ctl(server, {"token", "create", "--json", "--path", "pub"});
    QVERIFY2(created.exitCode == 0, created.err.constData());
    const QString secret = QJsonDocument::fromJson(created.out).object().value("secret").toString();
    QCOMPARE(secret.size(), 43);

    // The person meant the id and pasted the secret: refused as an unknown id, as before. (Sent as
    // `ferry-ctl token revoke SECRET` sends it; straight to the socket, as a secret may begin with '-'.)
    const QJsonObject revoked = adminCall(server.adminSocketPath(), {{"cmd", "token_revoke"}, {"token", secret}});
    QCOMPARE(revoked.value("error").toObject().value("code").toString(), QStringLiteral("not_found"));
    // The line is written before the reply is sent, and stderr goes to a file: it is there now.
    const QList<QByteArray> lines = linesWith(server, "cmd=token_revoke");
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines.first().contains("result=error:not_found"), lines.first().constData());
    QVERIFY2(!server.stderrText().contains(secret.toLatin1()), lines.first().constData());

    // A real id is still logged as given, so the log says which token was revoked.
    const QJsonObject token = QJsonDocument::fromJson(created.out).object().value("token").toObject();
    const QString id = token.value("id").toString();
    QCOMPARE(ctl(server, {"token", "revoke", id}).exitCode, 0);
    const QList<QByteArray> both = linesWith(server, "cmd=token_revoke");
    QCOMPARE(both.size(), 2);
    QVERIFY2(both.last().contains(id.toLatin1()) && both.last().contains("result=ok"), both.last().constData());
    QCOMPARE(server.stop(), 0);
}

void TestServerAdminLog::aCommandNameCannotForgeALogLine()
{
    ServerProcess server(m_tree->root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QByteArray forged = "2026-01-01T00:00:00.000Z INFO  [1] admin: uid=0 pid=1 cmd=drain result=ok";
    const QJsonObject reply =
        adminCall(server.adminSocketPath(), {{"cmd", QString::fromLatin1("nothing\n" + forged)}});
    QCOMPARE(reply.value("ok").toBool(true), false);
    QCOMPARE(reply.value("error").toObject().value("code").toString(), QStringLiteral("unknown_command"));

    const QList<QByteArray> lines = linesWith(server, "result=error:unknown_command");
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines.first().contains("uid=" + QByteArray::number(::geteuid())), lines.first().constData());
    for (const QByteArray &line : server.stderrText().split('\n'))
        QVERIFY2(!line.startsWith(forged.left(24)), line.constData()); // no line the client wrote itself
    QCOMPARE(server.stop(), 0);
}

// 400 requests for paths of nearly 4 KiB (anyone who can connect may send them) make 400 audit lines of
// about 4 KiB, 1.6 MB together: more than a client's output buffer (1 MiB). Ferry Admin subscribes with
// `lines: 500`: it gets the newest lines that fit instead of being dropped as a client that does not read.
void TestServerAdminLog::longAuditLinesStillLetASubscriberIn()
{
    ServerProcess server(m_tree->root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    constexpr int Requests = 400;
    std::string tail; // 14 names of 255 bytes: 3,584 bytes after the first name
    for (char c = 'a'; c < 'a' + 14; ++c)
        tail += "/" + std::string(255, c);
    for (int i = 0; i < Requests; ++i)
        QCOMPARE(client.stat("n" + std::to_string(i) + "-missing" + tail).code, proto::ErrorCode::NotFound);
    const QString log = server.stateDir() + "/audit.log";
    auto lineCount = [&log] {
        QFile file(log);
        return file.open(QIODevice::ReadOnly) ? int(file.readAll().count('\n')) : 0;
    };
    QTRY_COMPARE(lineCount(), Requests);

    const QJsonObject reply = adminCall(server.adminSocketPath(), {{"cmd", "audit_subscribe"}, {"lines", 500}});
    QVERIFY2(reply.value("ok").toBool(), "no reply: the subscriber was dropped");
    const QJsonArray recent = reply.value("recent").toArray();
    QVERIFY2(recent.size() > 10 && recent.size() < Requests, qPrintable(QString::number(recent.size())));
    // The newest lines: the last request's line ends the list (a worker writes a request's line as soon as
    // it has answered it, and the next request waits for that answer).
    const QString last = recent.last().toObject().value("path").toString();
    QVERIFY2(last.startsWith(QStringLiteral("n%1-").arg(Requests - 1)), qPrintable(last.left(40)));
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestServerAdminLog)
#include "tst_server_adminlog.moc"
