// A token scoped to one regular file, with the real server and ferry-ctl (docs/SECURITY.md "The access
// model"): it fetches, stats, digests and hashes its file and nothing else, by any path trick; a LIST of
// the file's folder shows that file alone; a symbolic link at the granted name that leads out of the
// folder is FORBIDDEN and shows nothing; `token create` prints a link without a trailing slash; and
// --anonymous grants one file the same way.
#include "authsession.h"
#include "pathtricks.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace ferrytest;
using proto::ErrorCode;

namespace {

using Op = PathOp;

const QByteArray Secret = "FERRY-PRIVATE-CONTENT";
const QByteArray Keynote = "the keynote, version 3\n";

// `token create --json --path PATH`: the whole reply (secret, link, token), or an empty object.
QJsonObject createdToken(const ServerProcess &server, const QString &path)
{
    const ServerProcess::RunResult created = ctl(server, {"token", "create", "--json", "--path", path});
    return created.exitCode == 0 ? QJsonDocument::fromJson(created.out).object() : QJsonObject();
}

QStringList namesOf(const ListResult &listed)
{
    QStringList names;
    for (const proto::Entry &entry : listed.entries)
        names << QString::fromStdString(entry.name);
    names.sort();
    return names;
}

} // namespace

class TestServerFileToken : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void fileTokenReachesItsFileOnly_data();
    void fileTokenReachesItsFileOnly();
    void folderListsTheGrantedFileAlone_data();
    void folderListsTheGrantedFileAlone();
    void linkAtTheGrantedNameLeadingOutIsForbidden_data();
    void linkAtTheGrantedNameLeadingOutIsForbidden();
    void createPrintsAFileLinkWithoutSlash();
    void anonymousGrantOfOneFile();

private:
    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
    QString m_secret; // the token for docs/keynote.pdf
};

void TestServerFileToken::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    m_tree = std::make_unique<TestTree>();
    TestTree &t = *m_tree;
    QVERIFY(t.isValid());
    QVERIFY(!t.addTextFile("docs/keynote.pdf", Keynote).isEmpty());
    QVERIFY(!t.addTextFile("docs/notes.txt", Secret + '\n').isEmpty());
    QVERIFY(!t.addTextFile("docs/keynote.pdfx", Secret + '\n').isEmpty());
    QVERIFY(!t.addTextFile("docs/sub/deeper.txt", Secret + '\n').isEmpty());
    QVERIFY(!t.addTextFile("private/secret.txt", Secret + " and more, so that the sizes differ\n").isEmpty());
    QVERIFY(!t.addTextFile("top.txt", Secret + '\n').isEmpty());
    QVERIFY(!t.addTextFile("top-keynote.pdf", Keynote).isEmpty());
    QVERIFY(!t.addOutsideFile("outside.txt", Secret + " beside the root\n").isEmpty());
    // Links named like a granted file: to a sibling folder's file (inside the root, outside the folder),
    // out of the root, and up to the folder above.
    QVERIFY(!t.addSymlink("docs/link-private.pdf", "../private/secret.txt").isEmpty());
    QVERIFY(!t.addSymlink("docs/link-outside.pdf", "../../outside.txt").isEmpty());
    QVERIFY(!t.addSymlink("docs/link-absolute.pdf", t.root() + "/private/secret.txt").isEmpty());
    QVERIFY(!t.addFifo("docs/pipe.pdf").isEmpty());
    m_server = std::make_unique<ServerProcess>(t.root(), QStringList{"--workers", "1", "--anonymous", "none"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_secret = createdToken(*m_server, "docs/keynote.pdf").value("secret").toString();
    QVERIFY(!m_secret.isEmpty());
}

void TestServerFileToken::cleanupTestCase()
{
    if (m_server)
        QCOMPARE(m_server->stop(), 0);
}

void TestServerFileToken::fileTokenReachesItsFileOnly_data()
{
    addPathTrickColumns();
    addSharedPathTrickRows({.scope = "docs/keynote.pdf", .readable = "docs/keynote.pdf",
                            .lookAlike = "docs/keynote.pdfx", .beside = "top.txt", .outside = "private/secret.txt"});
    const int get = int(Op::Get), stat = int(Op::Stat), list = int(Op::List);
    const int unauthorized = int(ErrorCode::Unauthorized);
    QTest::newRow("GET the file") << get << QByteArray("docs/keynote.pdf") << 0;
    QTest::newRow("STAT the file") << stat << QByteArray("docs/keynote.pdf") << 0;
    QTest::newRow("DIGEST the file") << int(Op::Digest) << QByteArray("docs/keynote.pdf") << 0;
    QTest::newRow("MANIFEST of the file") << int(Op::Manifest) << QByteArray("docs/keynote.pdf") << 0;
    QTest::newRow("LIST the folder: the way in") << list << QByteArray("docs") << 0;
    QTest::newRow("LIST the file, as LIST of a file") << list << QByteArray("docs/keynote.pdf")
                                                      << int(ErrorCode::NotADirectory);
    QTest::newRow("file/ (a file spelled as a folder)") << stat << QByteArray("docs/keynote.pdf/")
                                                        << int(ErrorCode::NotFound);
    QTest::newRow("GET file/") << get << QByteArray("docs/keynote.pdf/") << int(ErrorCode::NotFound);
    QTest::newRow("file/x") << get << QByteArray("docs/keynote.pdf/x") << unauthorized;
    QTest::newRow("LIST file/x") << list << QByteArray("docs/keynote.pdf/x") << unauthorized;
    QTest::newRow("file/.") << stat << QByteArray("docs/keynote.pdf/.") << unauthorized;
    QTest::newRow("file/../sibling") << get << QByteArray("docs/keynote.pdf/../notes.txt") << unauthorized;
    QTest::newRow("sibling") << get << QByteArray("docs/notes.txt") << unauthorized;
    QTest::newRow("STAT a sibling") << stat << QByteArray("docs/notes.txt") << unauthorized;
    QTest::newRow("name's prefix") << stat << QByteArray("docs/keynote") << unauthorized;
    QTest::newRow("the folder's folder") << list << QByteArray("docs/sub") << unauthorized;
    QTest::newRow("deeper in the folder") << get << QByteArray("docs/sub/deeper.txt") << unauthorized;
    QTest::newRow("STAT the folder") << stat << QByteArray("docs") << unauthorized;
    QTest::newRow("/./ before the name") << get << QByteArray("docs/./keynote.pdf") << unauthorized;
    QTest::newRow("a link in the folder") << get << QByteArray("docs/link-private.pdf") << unauthorized;
}

// `--anonymous none` and a token for docs/keynote.pdf: the traversal table under that token.
void TestServerFileToken::fileTokenReachesItsFileOnly()
{
    QFETCH(int, op);
    QFETCH(QByteArray, path);
    QFETCH(int, code);
    TestClient client(20000);
    client.setRecording(true);
    const Status authed = authenticate(client, *m_server, m_secret);
    QVERIFY2(authed.ok(), qPrintable(authed.toString()));
    const Status s = runPathOp(client, Op(op), path);
    if (code == 0)
        QVERIFY2(s.ok(), qPrintable(s.toString()));
    else
        QVERIFY2(s.is(ErrorCode(code)), qPrintable(s.toString()));
    const GetResult file = client.get("docs/keynote.pdf"); // the connection and its token go on
    QVERIFY2(file.status.ok(), qPrintable(file.status.toString()));
    QCOMPARE(file.data, Keynote);
    QVERIFY2(!client.transcript().contains(Secret), "content outside the file reached the client");
}

void TestServerFileToken::folderListsTheGrantedFileAlone_data()
{
    QTest::addColumn<QString>("scope");
    QTest::addColumn<QByteArray>("folder");
    QTest::addColumn<QStringList>("names");
    QTest::newRow("in a folder") << "docs/keynote.pdf" << QByteArray("docs") << QStringList{"keynote.pdf"};
    QTest::newRow("in a folder, the root") << "docs/keynote.pdf" << QByteArray("") << QStringList{"docs"};
    QTest::newRow("at the top") << "top-keynote.pdf" << QByteArray("") << QStringList{"top-keynote.pdf"};
}

void TestServerFileToken::folderListsTheGrantedFileAlone()
{
    QFETCH(QString, scope);
    QFETCH(QByteArray, folder);
    QFETCH(QStringList, names);
    const QString secret = createdToken(*m_server, scope).value("secret").toString();
    QVERIFY(!secret.isEmpty());
    TestClient client(20000);
    QVERIFY(authenticate(client, *m_server, secret).ok());
    const ListResult listed = client.list(folder.toStdString());
    QVERIFY2(listed.status.ok(), qPrintable(listed.status.toString()));
    QCOMPARE(namesOf(listed), names);
    for (const proto::Entry &entry : listed.entries)
        if (entry.name != "docs") // the file, with its real kind and size
            QCOMPARE(entry.size, uint64_t(Keynote.size()));
    const GetResult file = client.get(scope.toStdString());
    QVERIFY2(file.status.ok(), qPrintable(file.status.toString()));
    QCOMPARE(file.data, Keynote);
    QVERIFY(client.get("top.txt").status.is(ErrorCode::Unauthorized));
}

void TestServerFileToken::linkAtTheGrantedNameLeadingOutIsForbidden_data()
{
    QTest::addColumn<QString>("scope");
    QTest::addColumn<int>("code");
    QTest::newRow("to another folder of the root") << "docs/link-private.pdf" << int(ErrorCode::Forbidden);
    QTest::newRow("out of the root") << "docs/link-outside.pdf" << int(ErrorCode::Forbidden);
    QTest::newRow("absolute target") << "docs/link-absolute.pdf" << int(ErrorCode::Forbidden);
    QTest::newRow("a FIFO") << "docs/pipe.pdf" << int(ErrorCode::NotADirectory);
    QTest::newRow("nothing there") << "docs/missing.pdf" << int(ErrorCode::NotFound);
}

// The granted name is resolved beneath its folder: whatever a link there leads to outside the folder is
// neither served, nor stat'ed, nor shown in the folder's LIST.
void TestServerFileToken::linkAtTheGrantedNameLeadingOutIsForbidden()
{
    QFETCH(QString, scope);
    QFETCH(int, code);
    const QString secret = createdToken(*m_server, scope).value("secret").toString();
    QVERIFY(!secret.isEmpty());
    TestClient client(20000);
    client.setRecording(true);
    QVERIFY(authenticate(client, *m_server, secret).ok());
    for (Op op : {Op::Get, Op::Stat, Op::Digest, Op::Manifest}) {
        const Status s = runPathOp(client, op, scope.toUtf8());
        QVERIFY2(s.is(ErrorCode(code)), qPrintable(s.toString()));
    }
    const ListResult listed = client.list("docs");
    QVERIFY2(listed.status.ok(), qPrintable(listed.status.toString()));
    QCOMPARE(namesOf(listed), QStringList());
    QVERIFY2(!client.transcript().contains(Secret), "content outside the folder reached the client");
}

void TestServerFileToken::createPrintsAFileLinkWithoutSlash()
{
    const QJsonObject file = createdToken(*m_server, "docs//keynote.pdf");
    const QString link = file.value("link").toString();
    QVERIFY2(link.contains(QStringLiteral("/docs/keynote.pdf?")), qPrintable(link));
    QVERIFY2(link.contains(QStringLiteral("token=") + file.value("secret").toString()), qPrintable(link));
    const QString folderLink = createdToken(*m_server, "docs").value("link").toString();
    QVERIFY2(folderLink.contains(QStringLiteral("/docs/?")), qPrintable(folderLink));
    const ServerProcess::RunResult shown = ctl(*m_server, {"token", "create", "--path", "docs/keynote.pdf"});
    QCOMPARE(shown.exitCode, 0);
    QVERIFY2(shown.out.contains("grants /docs/keynote.pdf,"), shown.out.constData());
    QVERIFY2(shown.out.contains("Link (downloads /docs/keynote.pdf)"), shown.out.constData());
    const ServerProcess::RunResult listed = ctl(*m_server, {"token", "list"});
    QVERIFY2(listed.out.contains("grants /docs/keynote.pdf,"), listed.out.constData());
}

// --anonymous takes a file as it takes a folder: a version 1 client reads that file and nothing beside it.
void TestServerFileToken::anonymousGrantOfOneFile()
{
    ServerProcess server(m_tree->root(), {"--workers", "1", "--anonymous", "docs/keynote.pdf"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client(20000);
    QVERIFY(client.open(server.host(), server.port()).ok());
    const GetResult file = client.get("docs/keynote.pdf");
    QVERIFY2(file.status.ok(), qPrintable(file.status.toString()));
    QCOMPARE(file.data, Keynote);
    QCOMPARE(namesOf(client.list("docs")), QStringList{"keynote.pdf"});
    QVERIFY(client.get("docs/notes.txt").status.is(ErrorCode::Unauthorized));
    QVERIFY(client.get("docs/keynote.pdf/x").status.is(ErrorCode::Unauthorized));
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestServerFileToken)
#include "tst_server_filetoken.moc"
