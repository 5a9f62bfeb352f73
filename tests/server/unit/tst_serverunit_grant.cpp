// Grants (access/grant.h): where a path lies within what a connection may read, by its spelling; and a
// granted subtree's jail (Jail::beneath), which judges where the path leads once resolved.
#include "access/grant.h"
#include "worker/jail.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <unistd.h>

using namespace ferry::server;
using ferry::proto::ErrorCode;

Q_DECLARE_METATYPE(Grant)

namespace {

Grant subtrees(std::vector<std::string> names)
{
    Grant grant;
    for (const std::string &name : names)
        grant = widen(std::move(grant), name);
    return grant;
}

} // namespace

class TestGrant : public QObject {
    Q_OBJECT
private slots:
    void locate_data();
    void locate();
    void namesToward_data();
    void namesToward();
    void normalize_data();
    void normalize();
    void parseAnonymousValues_data();
    void parseAnonymousValues();
    void widenKeepsSubtreesDisjoint();
    void subtreeJailJudgesTheResolvedPath_data();
    void subtreeJailJudgesTheResolvedPath();
};

void TestGrant::locate_data()
{
    QTest::addColumn<Grant>("grant");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<bool>("inside");
    QTest::addColumn<QString>("subtree");
    QTest::addColumn<QByteArray>("rest");

    const Grant pub = subtrees({"pub"});
    const Grant deep = subtrees({"pub/2026", "docs"});
    // The whole tree: the path goes to the root's jail exactly as spelled (it judges `..` and the rest).
    QTest::newRow("all: anything, unchanged") << Grant::all() << QByteArray("a/../b") << true << ""
                                              << QByteArray("a/../b");
    QTest::newRow("all: root") << Grant::all() << QByteArray("") << true << "" << QByteArray("");
    QTest::newRow("none: root") << Grant::none() << QByteArray("") << false << "" << QByteArray();
    QTest::newRow("none: a file") << Grant::none() << QByteArray("pub/a.bin") << false << "" << QByteArray();
    QTest::newRow("the subtree itself") << pub << QByteArray("pub") << true << "pub" << QByteArray("");
    QTest::newRow("the subtree with a slash") << pub << QByteArray("pub/") << true << "pub" << QByteArray("");
    QTest::newRow("a file in it") << pub << QByteArray("pub/a.bin") << true << "pub" << QByteArray("a.bin");
    QTest::newRow("deeper") << pub << QByteArray("pub/x/y.bin") << true << "pub" << QByteArray("x/y.bin");
    QTest::newRow("doubled slashes") << pub << QByteArray("pub//x///y.bin") << true << "pub" << QByteArray("x/y.bin");
    // A name spelled as a folder's stays so: the jail then finds a file there NOT_FOUND, as without a grant.
    QTest::newRow("a slash at the end stays") << pub << QByteArray("pub/x/y.bin//") << true << "pub"
                                              << QByteArray("x/y.bin/");
    QTest::newRow("root outside") << pub << QByteArray("") << false << "" << QByteArray();
    QTest::newRow("a sibling") << pub << QByteArray("private/a.bin") << false << "" << QByteArray();
    QTest::newRow("a name that starts alike") << pub << QByteArray("public/a.bin") << false << "" << QByteArray();
    QTest::newRow("a shorter name") << pub << QByteArray("pu") << false << "" << QByteArray();
    QTest::newRow("up and back in") << pub << QByteArray("pub/../pub/a.bin") << false << "" << QByteArray();
    QTest::newRow("up and out") << pub << QByteArray("pub/../private/a.bin") << false << "" << QByteArray();
    QTest::newRow("a/../b") << pub << QByteArray("private/../pub/a.bin") << false << "" << QByteArray();
    QTest::newRow(".. at the end") << pub << QByteArray("pub/x/..") << false << "" << QByteArray();
    QTest::newRow("dot before the subtree") << pub << QByteArray("./pub/a.bin") << false << "" << QByteArray();
    QTest::newRow("dot inside: the jail refuses it") << pub << QByteArray("pub/./a.bin") << true << "pub"
                                                     << QByteArray("./a.bin");
    QTest::newRow("absolute") << pub << QByteArray("/pub/a.bin") << false << "" << QByteArray();
    QTest::newRow("double slash in front") << pub << QByteArray("//pub/a.bin") << false << "" << QByteArray();
    QTest::newRow("NUL after the subtree") << pub << QByteArray("pub\0/../x", 9) << false << "" << QByteArray();
    QTest::newRow("nested subtree") << deep << QByteArray("pub/2026/a.bin") << true << "pub/2026"
                                    << QByteArray("a.bin");
    QTest::newRow("its parent is outside") << deep << QByteArray("pub/2025/a.bin") << false << "" << QByteArray();
    QTest::newRow("the other subtree") << deep << QByteArray("docs/x") << true << "docs" << QByteArray("x");
}

void TestGrant::locate()
{
    QFETCH(Grant, grant);
    QFETCH(QByteArray, path);
    QFETCH(bool, inside);
    QFETCH(QString, subtree);
    QFETCH(QByteArray, rest);
    const std::optional<GrantedPath> found = locateInGrant(grant, std::string_view(path.constData(), path.size()));
    QCOMPARE(found.has_value(), inside);
    if (inside) {
        QCOMPARE(QString::fromStdString(found->subtree), subtree);
        QCOMPARE(QByteArray::fromStdString(found->rest), rest);
    }
}

void TestGrant::namesToward_data()
{
    QTest::addColumn<Grant>("grant");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QStringList>("names"); // empty: not on the way (judged by locateInGrant)
    const Grant deep = subtrees({"releases", "docs/public", "docs/2026/notes"});
    QTest::newRow("the root") << deep << QByteArray("") << QStringList{"docs", "releases"};
    QTest::newRow("a slash is the root too") << deep << QByteArray("/") << QStringList{};
    QTest::newRow("a parent of two") << deep << QByteArray("docs") << QStringList{"2026", "public"};
    QTest::newRow("doubled slashes") << deep << QByteArray("docs//") << QStringList{"2026", "public"};
    QTest::newRow("two levels up") << deep << QByteArray("docs/2026") << QStringList{"notes"};
    QTest::newRow("a subtree itself") << deep << QByteArray("releases") << QStringList{};
    QTest::newRow("inside a subtree") << deep << QByteArray("docs/public/x") << QStringList{};
    QTest::newRow("beside") << deep << QByteArray("private") << QStringList{};
    QTest::newRow("a name that starts alike") << deep << QByteArray("doc") << QStringList{};
    QTest::newRow("dot") << deep << QByteArray("./docs") << QStringList{};
    QTest::newRow("dot dot") << deep << QByteArray("private/../docs") << QStringList{};
    QTest::newRow("absolute") << deep << QByteArray("/docs") << QStringList{};
    QTest::newRow("NUL") << deep << QByteArray("docs\0", 5) << QStringList{};
    QTest::newRow("the whole tree") << Grant::all() << QByteArray("") << QStringList{};
    QTest::newRow("nothing") << Grant::none() << QByteArray("") << QStringList{};
}

void TestGrant::namesToward()
{
    QFETCH(Grant, grant);
    QFETCH(QByteArray, path);
    QFETCH(QStringList, names);
    const auto found = namesTowardGrant(grant, std::string_view(path.constData(), path.size()));
    QCOMPARE(found.has_value(), !names.isEmpty());
    QStringList got;
    for (const std::string &name : found.value_or(std::vector<std::string>{}))
        got << QString::fromStdString(name);
    QCOMPARE(got, names);
}

void TestGrant::normalize_data()
{
    QTest::addColumn<QByteArray>("spelled");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QByteArray>("normal");
    QTest::newRow("plain") << QByteArray("releases") << true << QByteArray("releases");
    QTest::newRow("slashes around") << QByteArray("/releases//2026/") << true << QByteArray("releases/2026");
    QTest::newRow("empty is the whole tree") << QByteArray("") << true << QByteArray("");
    QTest::newRow("slash is the whole tree") << QByteArray("/") << true << QByteArray("");
    QTest::newRow("dot") << QByteArray("a/./b") << false << QByteArray();
    QTest::newRow("dot dot") << QByteArray("a/../b") << false << QByteArray();
    QTest::newRow("NUL") << QByteArray("a\0b", 3) << false << QByteArray();
}

void TestGrant::normalize()
{
    QFETCH(QByteArray, spelled);
    QFETCH(bool, valid);
    QFETCH(QByteArray, normal);
    const std::optional<std::string> result = normalizeSubtree(std::string_view(spelled.constData(), spelled.size()));
    QCOMPARE(result.has_value(), valid);
    if (valid)
        QCOMPARE(QByteArray::fromStdString(*result), normal);
}

void TestGrant::parseAnonymousValues_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("described");
    QTest::newRow("all") << "all" << true << "all";
    QTest::newRow("none") << "none" << true << "none";
    QTest::newRow("one subtree") << "releases" << true << "releases";
    QTest::newRow("a list, spaced") << " releases , docs/public/ " << true << "docs/public,releases";
    QTest::newRow("nested collapse") << "pub/a,pub" << true << "pub";
    QTest::newRow("slash means everything") << "pub,/" << true << "all";
    QTest::newRow("empty item") << "pub,,docs" << false << "";
    QTest::newRow("empty") << "" << false << "";
    QTest::newRow("dot dot") << "pub/../etc" << false << "";
}

void TestGrant::parseAnonymousValues()
{
    QFETCH(QString, value);
    QFETCH(bool, valid);
    QFETCH(QString, described);
    std::string error;
    const std::optional<Grant> grant = parseAnonymous(value.toStdString(), error);
    QCOMPARE(grant.has_value(), valid);
    if (valid)
        QCOMPARE(QString::fromStdString(describeGrant(*grant)), described);
    else
        QVERIFY(error.starts_with("all, none or"));
}

void TestGrant::widenKeepsSubtreesDisjoint()
{
    Grant grant = subtrees({"a/b", "c"});
    QCOMPARE(grant.subtrees, (std::vector<std::string>{"a/b", "c"}));
    grant = widen(grant, "a/b/c"); // already covered
    QCOMPARE(grant.subtrees, (std::vector<std::string>{"a/b", "c"}));
    grant = widen(grant, "a"); // swallows a/b
    QCOMPARE(grant.subtrees, (std::vector<std::string>{"a", "c"}));
    grant = widen(grant, "ab"); // a sibling, not inside "a"
    QCOMPARE(grant.subtrees, (std::vector<std::string>{"a", "ab", "c"}));
    QVERIFY(widen(grant, "").wholeTree);
    QVERIFY(widen(Grant::all(), "x").wholeTree);
}

void TestGrant::subtreeJailJudgesTheResolvedPath_data()
{
    QTest::addColumn<QString>("path"); // beneath the subtree "scope"
    QTest::addColumn<int>("code");
    const int ok = int(ErrorCode::Ok), forbidden = int(ErrorCode::Forbidden);
    QTest::newRow("a file") << "file.txt" << ok;
    QTest::newRow("a link that stays inside") << "link-in" << ok;
    QTest::newRow("a link out of the scope, inside the root") << "link-sibling" << forbidden;
    QTest::newRow("a directory link out of the scope") << "link-up/other/file.txt" << forbidden;
    QTest::newRow("an absolute link into the scope") << "link-absolute" << forbidden;
    QTest::newRow("a link out of the root") << "link-out" << forbidden;
    QTest::newRow("dot") << "./file.txt" << forbidden;
    QTest::newRow("missing") << "nothing.txt" << int(ErrorCode::NotFound);
}

void TestGrant::subtreeJailJudgesTheResolvedPath()
{
    QFETCH(QString, path);
    QFETCH(int, code);
    QTemporaryDir outer;
    QVERIFY(outer.isValid());
    const QString root = outer.filePath("root");
    QVERIFY(QDir().mkpath(root + "/scope") && QDir().mkpath(root + "/other"));
    for (const QString &name : {root + "/scope/file.txt", root + "/other/file.txt", outer.filePath("secret")}) {
        QFile file(name);
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write("x") == 1);
    }
    auto link = [&](const char *target, const QString &name) {
        return ::symlink(target, QFile::encodeName(root + "/scope/" + name).constData()) == 0;
    };
    QVERIFY(link("file.txt", "link-in"));
    QVERIFY(link("../other/file.txt", "link-sibling"));
    QVERIFY(link("..", "link-up"));
    QVERIFY(link("../../secret", "link-out"));
    QVERIFY(link(QFile::encodeName(root + "/scope/file.txt").constData(), "link-absolute"));

    const Jail jail = Jail::open(root.toStdString(), false);
    QCOMPARE(jail.openFile("scope/link-sibling").error, ErrorCode::Ok); // the root's jail lets it through
    Opened refusal;
    std::optional<Jail> scope = jail.beneath("scope", refusal);
    QVERIFY2(scope, refusal.message.c_str());
    const Opened opened = scope->openFile(path.toStdString());
    QVERIFY2(opened.error == ErrorCode(code), opened.message.c_str());
    if (code != int(ErrorCode::Ok))
        QVERIFY2(opened.message.find("'scope/") != std::string::npos, opened.message.c_str()); // as spelled

    QVERIFY(!jail.beneath("nowhere", refusal));
    QCOMPARE(refusal.error, ErrorCode::NotFound);
    QVERIFY(!jail.beneath("scope/file.txt", refusal));
    QCOMPARE(refusal.error, ErrorCode::NotADirectory);
}

QTEST_GUILESS_MAIN(TestGrant)
#include "tst_serverunit_grant.moc"
