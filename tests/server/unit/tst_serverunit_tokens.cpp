// Tokens at rest (access/token_secret.h, access/token_store.h) and in shared memory (ipc/token_table.h):
// the secret is shown once and only its hash is kept; the store survives a write and a read; a damaged
// file is refused in one sentence; the table finds a token by its hash and reports revocation and expiry.
#include "access/token_secret.h"
#include "access/token_store.h"
#include "ipc/token_table.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <sys/stat.h>

using namespace ferry::server;

class TestTokens : public QObject {
    Q_OBJECT
private slots:
    void secretIsUrlSafeAndHashesBack();
    void malformedSecretsHaveNoHash_data();
    void malformedSecretsHaveNoHash();
    void storeRoundTripKeepsOnlyTheHash();
    void createRefusesBadRequests_data();
    void createRefusesBadRequests();
    void damagedStoreIsRefused();
    void numbersOutOfRangeAreDamage_data();
    void numbersOutOfRangeAreDamage();
    void tableFindsRevokesAndExpires();
};

void TestTokens::secretIsUrlSafeAndHashesBack()
{
    const std::optional<NewSecret> a = makeSecret(), b = makeSecret();
    QVERIFY(a && b);
    QCOMPARE(a->text.size(), size_t(43));
    QVERIFY(a->text != b->text);
    for (char c : a->text)
        QVERIFY2(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_', a->text.c_str());
    const std::optional<SecretHash> again = hashOfSecret(a->text);
    QVERIFY(again);
    QVERIFY(sameHash(*again, a->hash));
    QVERIFY(!sameHash(*again, b->hash));
    QCOMPARE(hashFromHex(hexOf(a->hash)), std::optional<SecretHash>(a->hash));
    const std::optional<std::string> id = makeTokenId();
    QVERIFY(id && id->starts_with("tk-") && id->size() == 13);
}

void TestTokens::malformedSecretsHaveNoHash_data()
{
    QTest::addColumn<QByteArray>("text");
    const QByteArray good = QByteArray::fromStdString(makeSecret()->text);
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("one short") << good.left(42);
    QTest::newRow("one long") << good + "A";
    QTest::newRow("padding") << good.left(42) + "=";
    QTest::newRow("standard base64 +") << good.left(42) + "+";
    QTest::newRow("spare bits set") << good.left(42) + "B"; // 'B' = 1: a non-zero bit past the 256th
}

void TestTokens::malformedSecretsHaveNoHash()
{
    QFETCH(QByteArray, text);
    QVERIFY(!hashOfSecret(text.toStdString()));
}

void TestTokens::storeRoundTripKeepsOnlyTheHash()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("tokens.json").toStdString();
    std::string error;
    std::optional<TokenStore> store = TokenStore::load(path, error);
    QVERIFY2(store, error.c_str());
    QVERIFY(store->tokens().empty());
    TokenRequest request{"/releases//2026/", "team A", 7LL * 86400 * 1000000000, 10 << 20, 4, 50ULL << 30};
    std::optional<CreatedToken> created = store->create(request, 1000, error);
    QVERIFY2(created, error.c_str());
    QCOMPARE(created->token.scope, std::string("releases/2026"));
    QCOMPARE(created->token.expiresAtNs, 1000 + request.lifetimeNs);
    QVERIFY(store->create({"", "", 0, 0, 0, 0}, 2000, error));
    QVERIFY(store->revoke(store->tokens()[1].id, 3000));
    QVERIFY(!store->revoke("tk-nothing", 3000));
    QCOMPARE(store->save(), 0);

    QFile file(QString::fromStdString(path));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY2(!text.contains(QByteArray::fromStdString(created->secret)), "the secret is in the store");
    QVERIFY(text.contains(QByteArray::fromStdString(hexOf(created->token.hash))));
    struct stat info {};
    QCOMPARE(::stat(path.c_str(), &info), 0);
    QCOMPARE(info.st_mode & 0777, mode_t(0600));
    QVERIFY(!QFile::exists(QString::fromStdString(path + ".tmp")));

    std::optional<TokenStore> again = TokenStore::load(path, error);
    QVERIFY2(again, error.c_str());
    QCOMPARE(again->tokens().size(), size_t(2));
    const Token &first = again->tokens()[0];
    QCOMPARE(first.label, std::string("team A"));
    QCOMPARE(first.rate, uint64_t(10 << 20));
    QCOMPARE(first.maxConnections, 4u);
    QCOMPARE(first.maxBytes, 50ULL << 30);
    QVERIFY(sameHash(first.hash, *hashOfSecret(created->secret)));
    QVERIFY(!first.isRevoked());
    QCOMPARE(again->tokens()[1].revokedNs, int64_t(3000));
    QCOMPARE(again->tokens()[1].scope, std::string());
}

void TestTokens::createRefusesBadRequests_data()
{
    QTest::addColumn<QByteArray>("scope");
    QTest::addColumn<QByteArray>("label");
    QTest::newRow("dot dot") << QByteArray("a/../b") << QByteArray();
    QTest::newRow("dot") << QByteArray("./a") << QByteArray();
    QTest::newRow("long scope") << QByteArray(1025, 'a') << QByteArray();
    QTest::newRow("long label") << QByteArray("a") << QByteArray(201, 'x');
}

void TestTokens::createRefusesBadRequests()
{
    QFETCH(QByteArray, scope);
    QFETCH(QByteArray, label);
    QTemporaryDir dir;
    std::string error;
    std::optional<TokenStore> store = TokenStore::load(dir.filePath("tokens.json").toStdString(), error);
    QVERIFY(store);
    QVERIFY(!store->create({scope.toStdString(), label.toStdString(), 0, 0, 0, 0}, 1, error));
    QVERIFY(!error.empty() && error.find('\n') == std::string::npos);
    QVERIFY(store->tokens().empty());
}

void TestTokens::damagedStoreIsRefused()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("tokens.json");
    for (const QByteArray &text : {QByteArray("{\"version\":1,\"tokens\":[{\"id\":\"x\"}]}"), QByteArray("not json"),
                                   QByteArray("{\"version\":9,\"tokens\":[]}")}) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(text);
        file.close();
        std::string error;
        QVERIFY(!TokenStore::load(path.toStdString(), error));
        QVERIFY2(error.find("is damaged") != std::string::npos, error.c_str());
    }
}

void TestTokens::numbersOutOfRangeAreDamage_data()
{
    QTest::addColumn<QByteArray>("field");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("in range") << QByteArray("max_connections") << QByteArray("4") << true;
    // Read as a u32 it would wrap to 0: unlimited.
    QTest::newRow("beyond a u32") << QByteArray("max_connections") << QByteArray("4294967296") << false;
    QTest::newRow("negative count") << QByteArray("max_connections") << QByteArray("-1") << false;
    QTest::newRow("negative rate") << QByteArray("rate") << QByteArray("-1") << false;
    QTest::newRow("a fraction") << QByteArray("max_bytes") << QByteArray("2.5") << false;
    QTest::newRow("a float beyond an i64") << QByteArray("created_ns") << QByteArray("1e300") << false;
    QTest::newRow("beyond an i64") << QByteArray("expires_ns") << QByteArray("9223372036854775808") << false;
}

// A number the server's types cannot hold is damage, like a missing field: never cast into another value.
void TestTokens::numbersOutOfRangeAreDamage()
{
    QFETCH(QByteArray, field);
    QFETCH(QByteArray, value);
    QFETCH(bool, accepted);
    QByteArray token = R"({"id":"tk-0123456789","label":"","scope":"","sha256":")" + QByteArray(64, '0')
        + R"(","created_ns":1,"expires_ns":0,"revoked_ns":0,"rate":0,"max_connections":0,"max_bytes":0,)"
        + R"("usage":{"bytes":0,"requests":0,"last_used_ns":0,"last_peer":""}})";
    const QByteArray key = "\"" + field + "\":";
    const qsizetype at = token.indexOf(key) + key.size();
    token.replace(at, token.indexOf(',', at) - at, value);
    std::string error;
    const std::optional<std::vector<Token>> tokens =
        tokensFromJson((R"({"version":1,"tokens":[)" + token + "]}").toStdString(), error);
    QCOMPARE(tokens.has_value(), accepted);
    if (!accepted)
        QVERIFY2(error.find(field.toStdString()) != std::string::npos, error.c_str());
}

void TestTokens::tableFindsRevokesAndExpires()
{
    TokenTable table(8);
    const std::optional<NewSecret> a = makeSecret(), b = makeSecret();
    table.publish(0, {a->hash, "tk-a", "label a", "pub", 0, 0, 0, 0}, false, 0, 0, 0);
    table.publish(3, {b->hash, "tk-b", "label b", "", 5000, 0, 0, 0}, false, 10, 1, 0);
    const std::optional<TokenView> found = table.findByHash(*hashOfSecret(b->text));
    QVERIFY(found);
    QCOMPARE(found->index, 3u);
    QCOMPARE(found->id, std::string("tk-b"));
    QCOMPARE(found->label, std::string("label b"));
    QVERIFY(table.isUsable(3, found->serial, 4999));
    QVERIFY(!table.isUsable(3, found->serial, 5000)); // expired
    QVERIFY(!table.isUsable(3, found->serial + 1, 0)); // another token in that slot
    QVERIFY(!table.findByHash(*hashOfSecret(makeSecret()->text)));
    const uint32_t serial = table.findByHash(a->hash)->serial;
    QVERIFY(table.isUsable(0, serial, 1));
    table.revoke(0);
    QVERIFY(!table.isUsable(0, serial, 1));
    QCOMPARE(table.findByHash(a->hash)->state, TokenState::Revoked);
    table.noteRequest(3, 100, "127.0.0.1:5000", 42);
    QCOMPARE(table.slot(3).bytesUsed.load(), uint64_t(110));
    QCOMPARE(table.slot(3).requests.load(), uint64_t(2));
    QCOMPARE(table.lastPeer(3), std::string("127.0.0.1:5000"));
}

QTEST_GUILESS_MAIN(TestTokens)
#include "tst_serverunit_tokens.moc"
