// Access tokens through the admin socket, with the real server and ferry-ctl: `token create` prints the
// secret once and a capability link; the store in the state directory keeps only the secret's hash
// (mode 0600) and survives a restart; `token list` and `token revoke`; bad input is a usage error.
#include "serverprocess.h"
#include "testtree.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>
#include <sys/stat.h>

using namespace ferrytest;

namespace {

ServerProcess::RunResult ctl(const ServerProcess &server, QStringList args)
{
    return ServerProcess::runProgram(QStringLiteral(CTL_BIN),
                                     QStringList{"--admin-socket", server.adminSocketPath()} + args);
}

QJsonArray tokenList(const ServerProcess &server)
{
    const ServerProcess::RunResult listed = ctl(server, {"token", "list", "--json"});
    return listed.exitCode == 0 ? QJsonDocument::fromJson(listed.out).array() : QJsonArray();
}

} // namespace

class TestServerTokens : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void createShowsTheSecretOnceAndKeepsItsHash();
    void revokeMarksTheTokenAndUnknownIdsAreRefused();
    void jsonOutputEscapesC1Controls();
    void badInputIsAUsageError_data();
    void badInputIsAUsageError();

private:
    std::unique_ptr<TestTree> m_tree;
};

void TestServerTokens::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    m_tree = std::make_unique<TestTree>();
    QVERIFY(m_tree->isValid());
    QVERIFY(!m_tree->addFile("releases/2026/a.bin", 1000, 1).isEmpty());
}

void TestServerTokens::createShowsTheSecretOnceAndKeepsItsHash()
{
    QTemporaryDir state;
    const QStringList args{"--state-dir", state.path()};
    auto server = std::make_unique<ServerProcess>(m_tree->root(), args);
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    const ServerProcess::RunResult created =
        ctl(*server, {"token", "create", "--path", "/releases/2026/", "--expires", "7d", "--rate", "10M",
                      "--max-connections", "8", "--max-bytes", "50G", "--label", "team A", "--host", "files.example"});
    QVERIFY2(created.exitCode == 0, created.err.constData());
    const QString out = QString::fromUtf8(created.out);
    const QRegularExpression link(
        R"(ferry://files\.example:(\d+)/releases/2026/\?fp=([A-Z2-7-]+)&token=([A-Za-z0-9_-]{43})\b)");
    const QRegularExpressionMatch match = link.match(out);
    QVERIFY2(match.hasMatch(), qPrintable(out));
    QCOMPARE(match.captured(1).toUShort(), server->port());
    QCOMPARE(match.captured(2), server->fingerprint());
    const QString secret = match.captured(3);
    QCOMPARE(out.count(secret), 2); // once alone, once in the link

    QJsonArray tokens = tokenList(*server);
    QCOMPARE(tokens.size(), 1);
    QJsonObject token = tokens.first().toObject();
    QVERIFY(token.value("id").toString().startsWith("tk-"));
    QCOMPARE(token.value("label").toString(), QStringLiteral("team A"));
    QCOMPARE(token.value("path").toString(), QStringLiteral("releases/2026"));
    QCOMPARE(token.value("state").toString(), QStringLiteral("active"));
    QCOMPARE(token.value("expires_ms").toInteger() - token.value("created_ms").toInteger(), qint64(7) * 86400 * 1000);
    QCOMPARE(token.value("rate").toInteger(), qint64(10) << 20);
    QCOMPARE(token.value("max_connections").toInteger(), 8);
    QCOMPARE(token.value("max_bytes").toInteger(), qint64(50) << 30);
    const QByteArray listedText = ctl(*server, {"token", "list"}).out + ctl(*server, {"token", "list", "--json"}).out;
    QVERIFY(!listedText.contains(secret.toLatin1()));
    QVERIFY(!server->stderrText().contains(secret.toLatin1()));

    const QString storePath = state.filePath("tokens.json");
    QFile store(storePath);
    QVERIFY(store.open(QIODevice::ReadOnly));
    QVERIFY2(!store.readAll().contains(secret.toLatin1()), "the secret is stored");
    struct stat info {};
    QCOMPARE(::stat(QFile::encodeName(storePath).constData(), &info), 0);
    QCOMPARE(info.st_mode & 0777, mode_t(0600));
    QCOMPARE(QDir(state.path()).entryList({"tokens.json*"}, QDir::Files), QStringList{"tokens.json"});

    QCOMPARE(server->stop(), 0);
    server = std::make_unique<ServerProcess>(m_tree->root(), args); // the store outlives the process
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    tokens = tokenList(*server);
    QCOMPARE(tokens.size(), 1);
    QCOMPARE(tokens.first().toObject().value("id"), token.value("id"));
    QCOMPARE(server->stop(), 0);
}

void TestServerTokens::revokeMarksTheTokenAndUnknownIdsAreRefused()
{
    ServerProcess server(m_tree->root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QCOMPARE(ctl(server, {"token", "create"}).exitCode, 0);
    const QString id = tokenList(server).first().toObject().value("id").toString();
    const ServerProcess::RunResult revoked = ctl(server, {"token", "revoke", id});
    QVERIFY2(revoked.exitCode == 0, revoked.err.constData());
    QVERIFY(revoked.out.contains(id.toLatin1() + " is revoked"));
    const QJsonObject token = tokenList(server).first().toObject();
    QCOMPARE(token.value("state").toString(), QStringLiteral("revoked"));
    QVERIFY(token.value("revoked_ms").toInteger() > 0);
    const ServerProcess::RunResult unknown = ctl(server, {"token", "revoke", "tk-0000000000"});
    QCOMPARE(unknown.exitCode, 1);
    QVERIFY2(unknown.err.contains("there is no token with id 'tk-0000000000'"), unknown.err.constData());
    QCOMPARE(unknown.err.trimmed().count('\n'), 0);
    QCOMPARE(server.stop(), 0);
}

// A label is what the token's maker chose, and `token list --json` goes to a terminal: a C1 control in it
// (U+009B, the 8-bit CSI) is written as \u009b, never raw; the JSON still reads back as the same label.
void TestServerTokens::jsonOutputEscapesC1Controls()
{
    ServerProcess server(m_tree->root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString label = QString::fromUtf8("ops\xc2\x9b" "2J\xc2\x9d" "0;x");
    const ServerProcess::RunResult created = ctl(server, {"token", "create", "--label", label, "--json"});
    QVERIFY2(created.exitCode == 0, created.err.constData());
    const ServerProcess::RunResult listed = ctl(server, {"token", "list", "--json"});
    QCOMPARE(listed.exitCode, 0);
    for (const QByteArray &out : {created.out, listed.out}) {
        QVERIFY2(!out.contains("\xc2\x9b") && !out.contains("\xc2\x9d"), out.constData());
        QVERIFY2(out.contains(R"(ops\u009b2J\u009d0;x)"), out.constData());
    }
    QCOMPARE(QJsonDocument::fromJson(created.out).object().value("token").toObject().value("label").toString(), label);
    QCOMPARE(tokenList(server).first().toObject().value("label").toString(), label);
    QCOMPARE(server.stop(), 0);
}

void TestServerTokens::badInputIsAUsageError_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("says");
    QTest::newRow("path with ..") << QStringList{"token", "create", "--path", "a/../b"} << "is not a subtree";
    QTest::newRow("lifetime without unit") << QStringList{"token", "create", "--expires", "7"} << "is not a lifetime";
    QTest::newRow("lifetime unit") << QStringList{"token", "create", "--expires", "7y"} << "is not a lifetime";
    QTest::newRow("rate") << QStringList{"token", "create", "--rate", "fast"} << "is not a byte count";
    QTest::newRow("connections") << QStringList{"token", "create", "--max-connections", "1k"}
                                 << "is not a whole number";
    QTest::newRow("label") << QStringList{"token", "create", "--label", QString(201, 'x')} << "at most 200 bytes";
    QTest::newRow("revoke without id") << QStringList{"token", "revoke"} << "ID is required";
    QTest::newRow("no subcommand") << QStringList{"token"} << "subcommand";
}

// Refused before anything is sent: exit 2, one sentence naming the option, and the hint to --help.
void TestServerTokens::badInputIsAUsageError()
{
    QFETCH(QStringList, args);
    QFETCH(QString, says);
    const ServerProcess::RunResult result =
        ServerProcess::runProgram(QStringLiteral(CTL_BIN),
                                  QStringList{"--admin-socket", "/nonexistent/admin.sock"} + args);
    QCOMPARE(result.exitCode, 2);
    const QList<QByteArray> lines = result.err.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    QVERIFY2(lines[0].contains(says.toUtf8()), lines[0].constData());
    QVERIFY2(lines[1].startsWith("Run 'ferry-ctl token"), lines[1].constData());
}

QTEST_GUILESS_MAIN(TestServerTokens)
#include "tst_server_tokens.moc"
