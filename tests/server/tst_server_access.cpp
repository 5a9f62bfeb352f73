// Who may read what, with the real server: --anonymous all, none and subtrees, and a scoped grant that no
// path trick leaves (the jail's traversal table, run against a subtree inside the root: `..`, `//`, `.`,
// and symbolic links inside the subtree that lead out of it but stay inside the root).
#include "polling.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace ferrytest;
using proto::ErrorCode;

namespace {

enum class Op { Get, Stat, List };

constexpr ErrorCode Unauthorized = ErrorCode::Unauthorized;

const QByteArray Secret = "FERRY-PRIVATE-CONTENT";

Status run(TestClient &client, Op op, const std::string &path)
{
    switch (op) {
    case Op::Get: return client.get(path).status;
    case Op::Stat: return client.stat(path);
    case Op::List: return client.list(path).status;
    }
    return Status::of(Outcome::Failed);
}

} // namespace

class TestServerAccess : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void scopedGrantHoldsAgainstPathTricks_data();
    void scopedGrantHoldsAgainstPathTricks();
    void anonymousNoneRefusesEverything_data();
    void anonymousNoneRefusesEverything();
    void anonymousAllServesTheWholeTree();
    void reloadChangesAnonymousAccess();
    void rootListsOnlyTheWayToTheSubtrees();
    void badAnonymousValueIsOneSentence_data();
    void badAnonymousValueIsOneSentence();

private:
    std::unique_ptr<TestTree> m_tree;
};

void TestServerAccess::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    m_tree = std::make_unique<TestTree>();
    TestTree &t = *m_tree;
    QVERIFY(t.isValid());
    QVERIFY(!t.addFile("pub/a.bin", 4096, 7).isEmpty());
    QVERIFY(!t.addFile("pub/sub/b.bin", 1000, 8).isEmpty());
    QVERIFY(!t.addTextFile("private/secret.txt", Secret + '\n').isEmpty());
    QVERIFY(!t.addTextFile("public/look-alike.txt", Secret + '\n').isEmpty());
    QVERIFY(!t.addTextFile("top.txt", Secret + '\n').isEmpty());
    QVERIFY(!t.addSymlink("pub/link-in", "a.bin").isEmpty());
    QVERIFY(!t.addSymlink("pub/link-private", "../private/secret.txt").isEmpty());
    QVERIFY(!t.addSymlink("pub/link-up", "..").isEmpty());
    QVERIFY(!t.addSymlink("pub/sub/link-up-two", "../../private/secret.txt").isEmpty());
    QVERIFY(!t.addSymlink("pub/link-private-dir", "../private").isEmpty());
    QVERIFY(!t.addSymlink("pub/link-absolute", t.path("private/secret.txt")).isEmpty());
}

void TestServerAccess::scopedGrantHoldsAgainstPathTricks_data()
{
    QTest::addColumn<int>("op");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("code"); // 0: served

    const int get = int(Op::Get), stat = int(Op::Stat), list = int(Op::List);
    const int unauthorized = int(Unauthorized), forbidden = int(ErrorCode::Forbidden);
    // Inside: served.
    QTest::newRow("file") << get << QByteArray("pub/a.bin") << 0;
    QTest::newRow("deeper file") << get << QByteArray("pub/sub/b.bin") << 0;
    QTest::newRow("LIST the subtree") << list << QByteArray("pub") << 0;
    QTest::newRow("LIST a subdirectory") << list << QByteArray("pub/sub/") << 0;
    QTest::newRow("STAT the subtree") << stat << QByteArray("pub") << 0;
    QTest::newRow("doubled slash inside") << get << QByteArray("pub//a.bin") << 0;
    QTest::newRow("link that stays inside") << get << QByteArray("pub/link-in") << 0;
    // Outside by spelling: UNAUTHORIZED, before any lookup.
    QTest::newRow("LIST the root: the way in") << list << QByteArray("") << 0;
    QTest::newRow("a file beside it") << get << QByteArray("top.txt") << unauthorized;
    QTest::newRow("a sibling subtree") << get << QByteArray("private/secret.txt") << unauthorized;
    QTest::newRow("STAT a sibling") << stat << QByteArray("private") << unauthorized;
    QTest::newRow("a name that starts alike") << get << QByteArray("public/look-alike.txt") << unauthorized;
    QTest::newRow("a/../b") << get << QByteArray("pub/../private/secret.txt") << unauthorized;
    QTest::newRow("up and back in") << get << QByteArray("pub/../pub/a.bin") << unauthorized;
    QTest::newRow("LIST pub/..") << list << QByteArray("pub/..") << unauthorized;
    QTest::newRow("..") << get << QByteArray("..") << unauthorized;
    QTest::newRow("../secret") << get << QByteArray("../secret.txt") << unauthorized;
    QTest::newRow("absolute") << get << QByteArray("/pub/a.bin") << unauthorized;
    QTest::newRow("// in front") << get << QByteArray("//pub/a.bin") << unauthorized;
    QTest::newRow("./ in front") << get << QByteArray("./pub/a.bin") << unauthorized;
    QTest::newRow("a nonexistent path outside") << get << QByteArray("nowhere/x") << unauthorized;
    QTest::newRow("NUL then ..") << get << QByteArray("pub\0/../private/secret.txt", 27) << unauthorized;
    // Inside by spelling, but the jail refuses (the rules of the whole tree hold beneath the subtree).
    QTest::newRow("/./ inside") << get << QByteArray("pub/./a.bin") << forbidden;
    // Inside by spelling, leading out of the subtree once resolved (yet inside the root): refused.
    QTest::newRow("link to a sibling's file") << get << QByteArray("pub/link-private") << forbidden;
    QTest::newRow("STAT link to a sibling's file") << stat << QByteArray("pub/link-private") << forbidden;
    QTest::newRow("through a link to the root") << get << QByteArray("pub/link-up/private/secret.txt") << forbidden;
    QTest::newRow("LIST a link to the root") << list << QByteArray("pub/link-up") << forbidden;
    QTest::newRow("link two levels up") << get << QByteArray("pub/sub/link-up-two") << forbidden;
    QTest::newRow("LIST a link to a sibling dir") << list << QByteArray("pub/link-private-dir") << forbidden;
    QTest::newRow("through a link to a sibling dir") << get << QByteArray("pub/link-private-dir/secret.txt")
                                                     << forbidden;
    QTest::newRow("absolute link") << get << QByteArray("pub/link-absolute") << forbidden;
}

// `--anonymous pub`: everything outside pub is unreachable, however the path is spelled, and nothing
// beneath it leads out. Not a protocol error: the connection serves the next request.
void TestServerAccess::scopedGrantHoldsAgainstPathTricks()
{
    QFETCH(int, op);
    QFETCH(QByteArray, path);
    QFETCH(int, code);
    ServerProcess server(m_tree->root(), {"--workers", "1", "--anonymous", "pub"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client(20000);
    client.setRecording(true);
    QVERIFY(client.open(server.host(), server.port()).ok());
    const Status s = run(client, Op(op), path.toStdString());
    if (code == 0)
        QVERIFY2(s.ok(), qPrintable(s.toString()));
    else
        QVERIFY2(s.is(ErrorCode(code)),
                 qPrintable(QStringLiteral("expected code %1, got %2").arg(code).arg(s.toString())));
    const GetResult next = client.get("pub/a.bin");
    QVERIFY2(next.status.ok(), qPrintable(next.status.toString()));
    QCOMPARE(next.data, patternBytes(7, 0, 4096));
    QVERIFY2(!client.transcript().contains(Secret), "content outside the grant reached the client");
    QCOMPARE(server.stop(), 0);
}

void TestServerAccess::anonymousNoneRefusesEverything_data()
{
    QTest::addColumn<int>("op");
    QTest::addColumn<QByteArray>("path");
    QTest::newRow("LIST the root") << int(Op::List) << QByteArray("");
    QTest::newRow("GET a file") << int(Op::Get) << QByteArray("pub/a.bin");
    QTest::newRow("STAT a file") << int(Op::Stat) << QByteArray("top.txt");
    QTest::newRow("GET a missing file") << int(Op::Get) << QByteArray("nowhere.bin");
}

// `--anonymous none`: every request of a connection without a token answers UNAUTHORIZED, a missing
// file too (the answer tells nothing about what exists).
void TestServerAccess::anonymousNoneRefusesEverything()
{
    QFETCH(int, op);
    QFETCH(QByteArray, path);
    ServerProcess server(m_tree->root(), {"--workers", "1", "--anonymous", "none"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client(20000);
    QVERIFY(client.open(server.host(), server.port()).ok());
    const Status s = run(client, Op(op), path.toStdString());
    QVERIFY2(s.is(Unauthorized), qPrintable(s.toString()));
    QVERIFY2(s.message.find("token") != std::string::npos, s.message.c_str());
    QVERIFY(client.stat("top.txt").is(Unauthorized)); // still open: not a protocol error
    QCOMPARE(server.stop(), 0);
}

// The default, and `--anonymous all` spelled out: a version 1 client reads the whole tree as before.
void TestServerAccess::anonymousAllServesTheWholeTree()
{
    for (const QStringList &args : {QStringList{}, QStringList{"--anonymous", "all"}}) {
        ServerProcess server(m_tree->root(), args);
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        TestClient client(20000);
        QVERIFY(client.open(server.host(), server.port()).ok());
        QCOMPARE(client.welcome().version, uint16_t(1));
        const ListResult root = client.list("");
        QVERIFY2(root.status.ok(), qPrintable(root.status.toString()));
        QVERIFY(client.get("private/secret.txt").status.ok());
        QVERIFY(client.get("pub/a.bin").status.ok());
        QCOMPARE(server.stop(), 0);
    }
}

// `anonymous` in the config file, changed and reloaded (SIGHUP): new connections get the new grant, and a
// version 2 WELCOME says so.
void TestServerAccess::reloadChangesAnonymousAccess()
{
    QTemporaryDir dir;
    const QString config = dir.filePath("ferry.conf");
    auto writeConfig = [&](const QByteArray &anonymous) {
        QFile file(config);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
               && file.write("anonymous = " + anonymous + "\n") > 0;
    };
    QVERIFY(writeConfig("pub"));
    ServerProcess server(m_tree->root(), {"--config", config});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto statPub = [&] {
        TestClient client(5000);
        return client.open(server.host(), server.port()).ok() ? client.stat("pub/a.bin") : Status::of(Outcome::Failed);
    };
    QVERIFY(statPub().ok());
    QVERIFY(writeConfig("none"));
    QVERIFY(server.signal(SIGHUP));
    const Status after = pollUntil(statPub, [](const Status &s) { return s.is(Unauthorized); }, 10000);
    QVERIFY2(after.is(Unauthorized), qPrintable(after.toString()));
    TestClient client;
    QVERIFY(client.connectTo(server.host(), server.port()).ok());
    QVERIFY(client.hello("ferry-tests/2", proto::ProtocolVersion2).ok());
    const auto &capabilities = client.welcome().capabilities;
    QVERIFY(std::find(capabilities.begin(), capabilities.end(), proto::Capability{"auth", "required"})
            != capabilities.end());
    QCOMPARE(server.stop(), 0);
}

// `--anonymous pub,docs/public`: a LIST of the root shows the entries that lead to the subtrees (pub,
// docs) and nothing else, with their real stat; a LIST of docs shows public; a subtree that does not exist
// is left out; the rest stays UNAUTHORIZED. The same for a version 1 client, which has no AUTH.
void TestServerAccess::rootListsOnlyTheWayToTheSubtrees()
{
    TestTree tree;
    QVERIFY(!tree.addFile("pub/a.bin", 10, 1).isEmpty());
    QVERIFY(!tree.addFile("docs/public/d.txt", 10, 2).isEmpty());
    QVERIFY(!tree.addFile("docs/internal/x.txt", 10, 3).isEmpty());
    QVERIFY(!tree.addFile("private/secret.txt", 10, 4).isEmpty());
    QVERIFY(!tree.addFile("top.txt", 10, 5).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1", "--anonymous", "pub,docs/public,gone"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client(20000);
    QVERIFY(client.open(server.host(), server.port()).ok());
    auto names = [](const ListResult &listing) {
        QStringList found;
        for (const proto::Entry &entry : listing.entries)
            found << QString::fromStdString(entry.name) + (entry.kind == proto::EntryKind::Directory ? "/" : "");
        found.sort();
        return found;
    };
    const ListResult root = client.list("");
    QVERIFY2(root.status.ok(), qPrintable(root.status.toString()));
    QCOMPARE(names(root), (QStringList{"docs/", "pub/"}));
    QVERIFY(root.entries.front().mtimeNs > 0);
    const ListResult docs = client.list("docs");
    QVERIFY2(docs.status.ok(), qPrintable(docs.status.toString()));
    QCOMPARE(names(docs), QStringList{"public/"});
    QCOMPARE(names(client.list("docs/public")), QStringList{"d.txt"});
    QVERIFY(client.list("docs/internal").status.is(Unauthorized));
    QVERIFY(client.list("private").status.is(Unauthorized));
    QVERIFY(client.stat("top.txt").is(Unauthorized));
    QVERIFY(client.list("docs/..").status.is(Unauthorized));
    QCOMPARE(server.stop(), 0);
}

void TestServerAccess::badAnonymousValueIsOneSentence_data()
{
    QTest::addColumn<QString>("value");
    QTest::newRow("dot dot") << "pub/../private";
    QTest::newRow("empty item") << "pub,,docs";
    QTest::newRow("empty") << "";
}

void TestServerAccess::badAnonymousValueIsOneSentence()
{
    QFETCH(QString, value);
    const ServerProcess::RunResult result =
        ServerProcess::run({"--root", m_tree->root(), "--plaintext", "only", "--anonymous", value});
    QCOMPARE(result.exitCode, 2);
    const QList<QByteArray> lines = result.err.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines.front().contains("for anonymous: expected all, none or a comma-separated list"), lines.front());
}

QTEST_GUILESS_MAIN(TestServerAccess)
#include "tst_server_access.moc"
