// ferry-get and access tokens (docs/PROTOCOL.md §10.2, docs/SECURITY.md) against the real server with
// anonymous access off: a capability link's token=, --token and FERRY_TOKEN open exactly the token's
// subtree; the link of a token for one file downloads that file and nothing beside it; a missing, wrong
// or out-of-scope token exits 6 with a sentence a person can act on; and the
// secret never shows in what ferry-get prints.
#include "serverprocess.h"
#include "testtree.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

using Run = ServerProcess::RunResult;

constexpr int ExitAccess = 6; // shared/client/ferry-get/exitcodes.h

Run runGet(const QStringList &args, const QStringList &environment = {})
{
    return ServerProcess::runProgram(QStringLiteral(GET_BIN), args, 60000, environment);
}

QByteArray sha256Of(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return hash.result();
}

} // namespace

class TestFerryGetTokens : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void withoutTokenExitsWithAccessDenied();
    void linkTokenOptionAndEnvironmentEachDownload_data();
    void linkTokenOptionAndEnvironmentEachDownload();
    void wrongTokenIsRefused();
    void tokenDoesNotReachOutsideItsSubtree();
    void listingWorksUnderTheToken();
    void fileLinkDownloadsItsFileOnly();
    void malformedTokenIsAUsageError();

private:
    QString url(const QString &path, const QString &query = {}) const;
    QTemporaryDir m_out;
    ferrytest::TestTree m_tree;
    QString m_pubFile;
    QString m_secret;
    std::unique_ptr<ServerProcess> m_server;
};

QString TestFerryGetTokens::url(const QString &path, const QString &query) const
{
    return QStringLiteral("ferry://%1:%2/%3%4")
        .arg(m_server->host())
        .arg(m_server->port())
        .arg(path, query.isEmpty() ? QString() : u'?' + query);
}

void TestFerryGetTokens::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    QVERIFY(m_tree.isValid() && m_out.isValid());
    m_pubFile = m_tree.addFile(QStringLiteral("pub/report.bin"), 300'000, 3);
    QVERIFY(!m_pubFile.isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("private/plans.bin"), 1000, 4).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root(), QStringList{"--anonymous", "none"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    const Run created = ServerProcess::runProgram(
        QStringLiteral(CTL_BIN),
        {"--admin-socket", m_server->adminSocketPath(), "token", "create", "--json", "--path", "pub", "--label", "t"});
    QCOMPARE(created.exitCode, 0);
    m_secret = QJsonDocument::fromJson(created.out).object().value("secret").toString();
    QVERIFY2(!m_secret.isEmpty(), created.out.constData());
}

void TestFerryGetTokens::withoutTokenExitsWithAccessDenied()
{
    const Run run = runGet({"-o", m_out.path(), url("pub/report.bin")});
    QCOMPARE(run.exitCode, ExitAccess);
    QVERIFY2(run.err.contains("needs an access token; ask for an access link or a token"), run.err.constData());
    QVERIFY(!QFile::exists(m_out.filePath("report.bin")));
}

void TestFerryGetTokens::linkTokenOptionAndEnvironmentEachDownload_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("link") << "link";
    QTest::newRow("--token") << "option";
    QTest::newRow("FERRY_TOKEN") << "environment";
}

void TestFerryGetTokens::linkTokenOptionAndEnvironmentEachDownload()
{
    QFETCH(QString, how);
    QTemporaryDir out;
    QStringList args{"-o", out.path()};
    QStringList environment;
    if (how == QLatin1String("link"))
        args << url("pub/report.bin", QStringLiteral("token=") + m_secret);
    else if (how == QLatin1String("option"))
        args << "--token" << m_secret << url("pub/report.bin");
    else {
        args << url("pub/report.bin");
        environment << QStringLiteral("FERRY_TOKEN=") + m_secret;
    }
    const Run run = runGet(args, environment);
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(sha256Of(out.filePath("report.bin")), sha256Of(m_pubFile));
    // The secret is the whole of the access: nothing ferry-get prints may carry it.
    QVERIFY(!run.out.contains(m_secret.toUtf8()));
    QVERIFY(!run.err.contains(m_secret.toUtf8()));
}

void TestFerryGetTokens::wrongTokenIsRefused()
{
    const QString wrong = QStringLiteral("A").repeated(43);
    const Run run = runGet({"-o", m_out.path(), "--token", wrong, url("pub/report.bin")});
    QCOMPARE(run.exitCode, ExitAccess);
    QVERIFY2(run.err.contains("did not accept the access token"), run.err.constData());
    QVERIFY(!run.err.contains(wrong.toUtf8()));
}

void TestFerryGetTokens::tokenDoesNotReachOutsideItsSubtree()
{
    const Run run = runGet({"-o", m_out.path(), "--token", m_secret, url("private/plans.bin")});
    QCOMPARE(run.exitCode, ExitAccess);
    QVERIFY(!QFile::exists(m_out.filePath("plans.bin")));
}

void TestFerryGetTokens::listingWorksUnderTheToken()
{
    const Run run = runGet({"ls", url("pub/", QStringLiteral("token=") + m_secret)});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QVERIFY2(run.out.contains("report.bin"), run.out.constData());
}

// The link exactly as `ferry-ctl token create --path FILE` prints it (no trailing slash, ?fp= when the
// server has an identity).
void TestFerryGetTokens::fileLinkDownloadsItsFileOnly()
{
    const Run created = ServerProcess::runProgram(
        QStringLiteral(CTL_BIN),
        {"--admin-socket", m_server->adminSocketPath(), "token", "create", "--json", "--path", "pub/report.bin"});
    QCOMPARE(created.exitCode, 0);
    const QJsonObject reply = QJsonDocument::fromJson(created.out).object();
    const QString link = reply.value("link").toString();
    QVERIFY2(link.contains(QStringLiteral("/pub/report.bin?")), qPrintable(link));
    QTemporaryDir out;
    const Run run = runGet({"-o", out.path(), link});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(sha256Of(out.filePath("report.bin")), sha256Of(m_pubFile));
    const QString secret = reply.value("secret").toString();
    QVERIFY(!run.err.contains(secret.toUtf8()) && !run.out.contains(secret.toUtf8()));
    const Run beside = runGet({"-o", out.path(), "--token", secret, url("private/plans.bin")});
    QCOMPARE(beside.exitCode, ExitAccess);
}

void TestFerryGetTokens::malformedTokenIsAUsageError()
{
    const Run option = runGet({"--token", "not a token", url("pub/report.bin")});
    QCOMPARE(option.exitCode, 2);
    QVERIFY2(option.err.contains("--token"), option.err.constData());
    const Run link = runGet({url("pub/report.bin", QStringLiteral("token=has%20space"))});
    QCOMPARE(link.exitCode, 2);
    QVERIFY2(link.err.contains("not an access token"), link.err.constData());
}

QTEST_GUILESS_MAIN(TestFerryGetTokens)
#include "tst_ferryget_tokens.moc"
