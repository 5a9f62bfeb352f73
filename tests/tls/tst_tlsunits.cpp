// The pure parts of TLS and pinning, as tables: what the first bytes say, which certificate verdict
// each combination of pins gives, fingerprints in both implementations, and the known-servers file.
#include "client/ferryurl.h"
#include "client/fingerprint.h"
#include "client/knownservers.h"
#include "client/tlspolicy.h"
#include "tls/certificate.h"
#include "tls/fingerprint.h"
#include "tls/first_bytes.h"
#include "tls/state_dir.h"
#include "tls/tls_context.h"
#include "tls/warm_up.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QTest>

#include <openssl/ssl.h>
#include <unistd.h>

using namespace ferry;
namespace stls = ferry::server::tls;

Q_DECLARE_METATYPE(client::TlsVerdict)
Q_DECLARE_METATYPE(stls::Speaks)
Q_DECLARE_METATYPE(stls::FirstRecord)

class TestTlsUnits : public QObject
{
    Q_OBJECT
private slots:
    void firstBytes_data();
    void firstBytes();
    void firstRecord_data();
    void firstRecord();
    void verdict_data();
    void verdict();
    void fingerprintsAgree();
    void fingerprintNormalisation();
    void urlCarriesThePin();
    void knownServersFile();
    void defaultStateDirectory();
    void warmUpHandshakesInMemory();
};

static QByteArray hex(const char *text) { return QByteArray::fromHex(text); }

void TestTlsUnits::firstBytes_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<stls::Speaks>("speaks");
    QTest::newRow("nothing") << QByteArray() << stls::Speaks::NeedMore;
    QTest::newRow("tls record") << hex("160301") << stls::Speaks::Tls;
    QTest::newRow("ferry frame") << hex("f70100") << stls::Speaks::Ferry;
    QTest::newRow("http") << QByteArray("GET / HTTP/1.1") << stls::Speaks::Other;
    QTest::newRow("tls alert") << hex("150301") << stls::Speaks::Other;
}

void TestTlsUnits::firstBytes()
{
    QFETCH(QByteArray, bytes);
    QFETCH(stls::Speaks, speaks);
    const auto *data = reinterpret_cast<const uint8_t *>(bytes.constData());
    QCOMPARE(stls::classifyFirstBytes({data, size_t(bytes.size())}), speaks);
}

void TestTlsUnits::firstRecord_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<stls::FirstRecord>("verdict");
    QTest::newRow("header only") << hex("1603010200") << stls::FirstRecord::NeedMore;
    QTest::newRow("partial header") << hex("1603") << stls::FirstRecord::NeedMore;
    QTest::newRow("whole 4-byte hello") << hex("160301000401000000") << stls::FirstRecord::Complete;
    QTest::newRow("truncated hello") << hex("16030100080100000401") << stls::FirstRecord::NeedMore;
    QTest::newRow("not client_hello") << hex("160301000402000000") << stls::FirstRecord::Malformed;
    QTest::newRow("version 2.x") << hex("160201000401000000") << stls::FirstRecord::Malformed;
    QTest::newRow("empty record") << hex("1603010000") << stls::FirstRecord::Malformed;
    QTest::newRow("over 2^14") << hex("1603014001") << stls::FirstRecord::Malformed;
    QTest::newRow("exactly 2^14, truncated") << hex("160301400001") << stls::FirstRecord::NeedMore;
}

void TestTlsUnits::firstRecord()
{
    QFETCH(QByteArray, bytes);
    QFETCH(stls::FirstRecord, verdict);
    const auto *data = reinterpret_cast<const uint8_t *>(bytes.constData());
    QCOMPARE(stls::checkFirstRecord({data, size_t(bytes.size())}), verdict);
    // The parent's form: the first bytes and how many arrived (FIONREAD) give the same verdict.
    const size_t head = std::min<size_t>(size_t(bytes.size()), stls::FirstRecordHeadSize);
    QCOMPARE(stls::checkFirstRecord({data, head}, size_t(bytes.size())), verdict);
}

void TestTlsUnits::verdict_data()
{
    QTest::addColumn<QString>("known");
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("caTrusted");
    QTest::addColumn<bool>("trustNew");
    QTest::addColumn<client::TlsVerdict>("verdict");
    using V = client::TlsVerdict;
    const QString P = QStringLiteral("P"), X = QStringLiteral("X"), none;
    // The server presents P in every row.
    QTest::newRow("pinned, matches") << P << none << false << false << V::Accept;
    QTest::newRow("pinned, changed") << X << none << false << false << V::RefuseChanged;
    QTest::newRow("changed beats --trust-new") << X << none << false << true << V::RefuseChanged;
    QTest::newRow("changed beats a CA") << X << none << true << false << V::RefuseChanged;
    QTest::newRow("changed beats a matching URL pin") << X << P << false << false << V::RefuseChanged;
    QTest::newRow("URL pin matches, new") << none << P << false << false << V::AcceptAndRemember;
    QTest::newRow("URL pin differs") << none << X << false << true << V::RefuseUrlMismatch;
    QTest::newRow("URL pin differs, CA ok") << none << X << true << false << V::RefuseUrlMismatch;
    QTest::newRow("public CA, right name") << none << none << true << false << V::Accept;
    QTest::newRow("first contact") << none << none << false << false << V::RefuseUnknown;
    QTest::newRow("first contact, --trust-new") << none << none << false << true << V::AcceptAndRemember;
}

void TestTlsUnits::verdict()
{
    QFETCH(QString, known);
    QFETCH(QString, url);
    QFETCH(bool, caTrusted);
    QFETCH(bool, trustNew);
    QFETCH(client::TlsVerdict, verdict);
    client::TlsFacts facts{QStringLiteral("P"), known, url, caTrusted, trustNew};
    QCOMPARE(client::decideTls(facts), verdict);
}

void TestTlsUnits::fingerprintsAgree()
{
    // The server's key and certificate code, the client's fingerprint of what it receives: one value.
    std::string error;
    stls::KeyPtr key = stls::makeKey(error);
    QVERIFY2(key, error.c_str());
    stls::CertPtr cert = stls::makeSelfSigned(key.get(), "test.example", 30, error);
    QVERIFY2(cert, error.c_str());
    const QString server = QString::fromStdString(stls::fingerprintOf(key.get()));
    const QSslCertificate received(QByteArray::fromStdString(stls::certToPem(cert.get())), QSsl::Pem);
    QVERIFY(!received.isNull());
    QCOMPARE(client::fingerprintOf(received), server);
    QCOMPARE(server.size(), 64); // 52 characters in 13 groups
    // The base32 itself, on a known digest: SHA-256 of "abc" (Python: base64.b32encode, padding dropped).
    const QByteArray digest = QCryptographicHash::hash("abc", QCryptographicHash::Sha256);
    stls::Sha256 bytes{};
    std::copy(digest.begin(), digest.end(), bytes.begin());
    QCOMPARE(QString::fromStdString(stls::formatFingerprint(bytes)),
             QStringLiteral("XJ4B-NP4P-AHH6-UQKB-IDPF-3LRC-EOYA-GYND-SYLX-VHFU-CD7W-D4QA-CWWQ"));
}

void TestTlsUnits::fingerprintNormalisation()
{
    const QString canonical = QStringLiteral("XJ4B-NP4P-AHH6-UQKB-IDPF-3LRC-EOYA-GYND-SYLX-VHFU-CD7W-D4QA-CWWQ");
    QCOMPARE(client::normalizedFingerprint(canonical.toLower()), canonical);
    QCOMPARE(client::normalizedFingerprint(QString(canonical).remove(u'-')), canonical);
    QCOMPARE(client::normalizedFingerprint(QString(canonical).replace(u'-', u' ')), canonical);
    QVERIFY(client::normalizedFingerprint(canonical.left(60)).isEmpty());       // too short
    QVERIFY(client::normalizedFingerprint(QString(canonical).replace(u'X', u'1')).isEmpty()); // not base32
    QCOMPARE(client::shortFingerprint(canonical), QStringLiteral("XJ4B-NP4P-…"));
}

void TestTlsUnits::urlCarriesThePin()
{
    const QString fp = QStringLiteral("XJ4B-NP4P-AHH6-UQKB-IDPF-3LRC-EOYA-GYND-SYLX-VHFU-CD7W-D4QA-CWWQ");
    QString error;
    auto url = client::FerryUrl::parse(QStringLiteral("ferry://h:7/a/b?fp=") + fp.toLower(), &error);
    QVERIFY2(url, qPrintable(error));
    QCOMPARE(url->fingerprint(), fp);
    QCOMPARE(url->path(), QStringLiteral("a/b"));
    QCOMPARE(url->child(QStringLiteral("c")).fingerprint(), fp); // the same server
    QVERIFY(url->withServer(QStringLiteral("other"), 7).fingerprint().isEmpty());
    QCOMPARE(client::FerryUrl::parse(url->toString())->fingerprint(), fp);
    QVERIFY(!client::FerryUrl::parse(QStringLiteral("ferry://h/x?fp=ABC"), &error));
    QVERIFY2(error.contains(QStringLiteral("not a server fingerprint")), qPrintable(error));
    QVERIFY(!client::FerryUrl::parse(QStringLiteral("ferry://h/x?fp=") + fp + QStringLiteral("&y=1")));
}

void TestTlsUnits::knownServersFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sub/known-servers"));
    client::KnownServers known(path);
    const QString a = QStringLiteral("XJ4B-NP4P-AHH6-UQKB-IDPF-3LRC-EOYA-GYND-SYLX-VHFU-CD7W-D4QA-CWWQ");
    const QString b = QString(a).replace(u'X', u'Y');
    QVERIFY(known.entries().isEmpty());
    QVERIFY(known.add(QStringLiteral("host:1"), a));
    QVERIFY(known.add(QStringLiteral("host:2"), b));
    QVERIFY(known.add(QStringLiteral("[::1]:1"), a));
    QVERIFY(known.add(QStringLiteral("host:1"), b)); // replaced, not duplicated
    QCOMPARE(known.entries().size(), 3);
    QCOMPARE(client::KnownServers(path).fingerprintFor(QStringLiteral("host:1")), b); // a second reader sees it
    QCOMPARE(client::KnownServers::serverKey(QStringLiteral("::1"), 1), QStringLiteral("[::1]:1"));
    QCOMPARE(client::KnownServers::serverKey(QStringLiteral("Host"), 2), QStringLiteral("host:2"));
    QCOMPARE(known.remove(QStringLiteral("host")), 2); // every port of the host
    QCOMPARE(known.remove(QStringLiteral("[::1]:1")), 1);
    QVERIFY(known.entries().isEmpty());
    QFile file(path); // a damaged line pins nothing
    QVERIFY(file.open(QIODevice::Append));
    file.write("broken line without a fingerprint\nhost:3 NOTBASE32!\n");
    file.close();
    QVERIFY(known.entries().isEmpty());
}

void TestTlsUnits::defaultStateDirectory()
{
    const QByteArray savedSystemd = qgetenv("STATE_DIRECTORY"), savedXdg = qgetenv("XDG_STATE_HOME"),
                     savedHome = qgetenv("HOME");
    auto restore = [&] {
        savedSystemd.isNull() ? qunsetenv("STATE_DIRECTORY") : qputenv("STATE_DIRECTORY", savedSystemd);
        savedXdg.isNull() ? qunsetenv("XDG_STATE_HOME") : qputenv("XDG_STATE_HOME", savedXdg);
        qputenv("HOME", savedHome);
    };
    qputenv("STATE_DIRECTORY", "/var/lib/ferry-a:/var/lib/other"); // systemd: the first of the list
    QCOMPARE(stls::defaultStateDir(), std::string("/var/lib/ferry-a"));
    qunsetenv("STATE_DIRECTORY");
    qputenv("HOME", "/home/someone");
    if (geteuid() == 0) {
        QCOMPARE(stls::defaultStateDir(), std::string("/var/lib/ferry"));
    } else {
        qputenv("XDG_STATE_HOME", "/x/state");
        QCOMPARE(stls::defaultStateDir(), std::string("/x/state/ferry"));
        qputenv("XDG_STATE_HOME", "relative"); // the XDG spec: ignored
        QCOMPARE(stls::defaultStateDir(), std::string("/home/someone/.local/state/ferry"));
    }
    restore();
}

// The parent's handshake in memory (tls/warm_up.h): it completes with the server's real context, and a
// context that cannot serve TLS (no certificate) is named as failing, not passed over.
void TestTlsUnits::warmUpHandshakesInMemory()
{
    QTemporaryDir state;
    QVERIFY(state.isValid());
    stls::TlsContext context(stls::ensureIdentity(state.path().toStdString())); // runs warmUp()
    QCOMPARE(stls::warmUp(context.get()), std::string());
    SSL_CTX *bare = SSL_CTX_new(TLS_server_method());
    QVERIFY(bare);
    std::string error = stls::warmUp(bare);
    SSL_CTX_free(bare);
    QVERIFY2(error.find("the server's handshake") == 0, error.c_str());
}

QTEST_GUILESS_MAIN(TestTlsUnits)
#include "tst_tlsunits.moc"
