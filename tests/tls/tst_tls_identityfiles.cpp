// A damaged identity is refused at start-up, never repaired: the real ferry-server started on a state
// directory whose identity.key/identity.crt were cut short, replaced by garbage, swapped for another
// key's, opened to other users or made unreadable to the --user, and on --tls-cert/--tls-key files
// damaged the same ways. Each start exits 2 with one line naming the file and what to do, before it
// binds the port (the port given is taken, so a later check would say "cannot bind"), and leaves the
// state directory byte for byte as it was (docs/SECURITY.md, "A damaged identity is refused").
#include "serverprocess.h"
#include "shapedtlsclient.h"
#include "testtree.h"
#include "tlstesthelpers.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace tlstest;
using ferrytest::TestTree;

namespace {

enum class Damage {
    None, // the identity whole, as the server left it
    CertificateWithoutKey,
    KeyEmpty,
    KeyCutShort,
    KeyGarbage,
    KeyLineMissing,
    KeyEncrypted,
    KeyOfAnotherServer,
    KeyGroupReadable,
    KeyWorldReadable,
    KeyExecutable,
    KeyIsAFolder,
    KeyUnreadableByUser,
    CertificateEmpty,
    CertificateCutShort,
    CertificateGarbage,
    CertificateUnreadableByUser,
};

constexpr char Afresh[] = "Rotating the server's key";

// Every entry below `dir`, and `dir` itself: path, mode, owner, size, mtime and the SHA-256 of the bytes.
// A refused start must leave all of it as it was (a rewrite with the same bytes moves the mtime).
QStringList snapshot(const QString &dir)
{
    QStringList entries;
    QDirIterator it(dir, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                    QDirIterator::Subdirectories);
    QStringList paths{dir};
    while (it.hasNext())
        paths << it.next();
    for (const QString &path : paths) {
        struct stat info {};
        if (::lstat(QFile::encodeName(path).constData(), &info) != 0) {
            entries << path + QStringLiteral(" unreadable");
            continue;
        }
        QByteArray digest;
        if (S_ISREG(info.st_mode)) {
            QFile file(path);
            digest = file.open(QIODevice::ReadOnly)
                         ? QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex()
                         : QByteArray("?");
        }
        entries << QStringLiteral("%1 %2 %3 %4 %5.%6 %7")
                       .arg(QDir(dir).relativeFilePath(path))
                       .arg(info.st_mode, 0, 8)
                       .arg(info.st_uid)
                       .arg(info.st_size)
                       .arg(info.st_mtim.tv_sec)
                       .arg(info.st_mtim.tv_nsec)
                       .arg(QString::fromLatin1(digest));
    }
    entries.sort();
    return entries;
}

bool writeFile(const QString &path, const QByteArray &bytes, QFile::Permissions permissions)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(bytes) == bytes.size()
           && file.setPermissions(permissions);
}

const QFile::Permissions OwnerOnly = QFile::ReadOwner | QFile::WriteOwner;
const QFile::Permissions Everyone = OwnerOnly | QFile::ReadGroup | QFile::ReadOther;
const QFile::Permissions Traversable = Everyone | QFile::ExeOwner | QFile::ExeGroup | QFile::ExeOther;

// PEM with its second line (the first of base64) left out: BEGIN and END are there, the DER is not.
QByteArray withoutSecondLine(const QByteArray &pem)
{
    QList<QByteArray> lines = pem.split('\n');
    lines.removeAt(1);
    return lines.join('\n');
}

} // namespace

Q_DECLARE_METATYPE(Damage)

class TestTlsIdentityFiles : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void keptIdentityIsServedUnchanged();
    void missingCertificateIsMadeAgainForTheKeptKey();
    void damagedIdentityIsRefusedBeforeAnything_data();
    void damagedIdentityIsRefusedBeforeAnything();
    void damagedOwnFilesAreRefusedBeforeAnything_data();
    void damagedOwnFilesAreRefusedBeforeAnything();
    void groupReadableOwnKeyIsServed();
    void reloadOnADamagedIdentityKeepsServing();

private:
    // A state directory (or a folder of own files) in a fresh temporary folder that --user nobody can
    // look into; the path.
    QString freshFolder(const QString &name);
    bool writeIdentity(const QString &dir, Damage damage);
    QStringList serverArgs(const QString &stateDir, const QStringList &more) const;
    // Runs the server on `args`, expects the refusal naming every one of `mentions`, and the folders
    // `unchanged` (their snapshots taken before) as they were.
    void expectRefusal(const QStringList &args, const QStringList &mentions, const QStringList &unchanged);
    bool openssl(const QStringList &args);

    TestTree m_tree;
    QTemporaryDir m_work;
    QTcpServer m_occupant; // holds the --listen port of every refused start
    QByteArray m_key, m_cert, m_otherKey, m_encryptedKey;
    QString m_fingerprint;
    int m_folders = 0;
};

bool TestTlsIdentityFiles::openssl(const QStringList &args)
{
    QProcess process;
    process.setWorkingDirectory(m_work.path());
    process.start(QStringLiteral("openssl"), args);
    if (!process.waitForFinished(30000) || process.exitCode() != 0) {
        qWarning("openssl %s: %s", qPrintable(args.join(u' ')), process.readAllStandardError().constData());
        return false;
    }
    return true;
}

void TestTlsIdentityFiles::initTestCase()
{
    QVERIFY(m_tree.isValid() && m_work.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("f.bin"), 1000, 3).isEmpty());
    // Readable by --user nobody, for the rows that drop to it.
    QVERIFY(QFile::setPermissions(m_tree.base(), Traversable) && QFile::setPermissions(m_tree.root(), Traversable));
    QVERIFY(QFile::setPermissions(m_work.path(), Traversable));
    QVERIFY(m_occupant.listen(QHostAddress::LocalHost, 0));
    // Two identities as the server makes them: the one kept, and another server's key.
    for (const QString &name : {QStringLiteral("made"), QStringLiteral("other")}) {
        const QString state = m_work.filePath(name);
        ServerProcess server(m_tree.root(), tlsOnly({QStringLiteral("--state-dir"), state}));
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        QCOMPARE(server.stop(), 0);
        QFile key(state + QStringLiteral("/identity.key")), cert(state + QStringLiteral("/identity.crt"));
        QVERIFY(key.open(QIODevice::ReadOnly) && cert.open(QIODevice::ReadOnly));
        if (name == QLatin1String("made")) {
            m_key = key.readAll();
            m_cert = cert.readAll();
            m_fingerprint = server.fingerprint();
        } else {
            m_otherKey = key.readAll();
        }
    }
    QVERIFY(!m_fingerprint.isEmpty() && m_key != m_otherKey);
    QVERIFY(writeFile(m_work.filePath(QStringLiteral("plain.key")), m_key, OwnerOnly));
    QVERIFY(openssl({"pkey", "-in", "plain.key", "-aes256", "-passout", "pass:secret", "-out", "encrypted.key"}));
    QFile encrypted(m_work.filePath(QStringLiteral("encrypted.key")));
    QVERIFY(encrypted.open(QIODevice::ReadOnly));
    m_encryptedKey = encrypted.readAll();
    QVERIFY(m_encryptedKey.contains("ENCRYPTED"));
}

QString TestTlsIdentityFiles::freshFolder(const QString &name)
{
    const QString path = m_work.filePath(QStringLiteral("%1-%2").arg(name).arg(++m_folders));
    return QDir().mkpath(path) && QFile::setPermissions(path, Traversable) ? path : QString();
}

bool TestTlsIdentityFiles::writeIdentity(const QString &dir, Damage damage)
{
    const QString keyPath = dir + QStringLiteral("/identity.key"), certPath = dir + QStringLiteral("/identity.crt");
    QByteArray key = m_key, cert = m_cert;
    QFile::Permissions keyMode = OwnerOnly, certMode = Everyone;
    switch (damage) {
    case Damage::None: break;
    case Damage::CertificateWithoutKey: return writeFile(certPath, cert, certMode);
    case Damage::KeyEmpty: key.clear(); break;
    case Damage::KeyCutShort: key.truncate(key.size() / 2); break;
    case Damage::KeyGarbage: key = QByteArray(300, '\x9c'); break;
    case Damage::KeyLineMissing: key = withoutSecondLine(key); break;
    case Damage::KeyEncrypted: key = m_encryptedKey; break;
    case Damage::KeyOfAnotherServer: key = m_otherKey; break;
    case Damage::KeyGroupReadable: keyMode |= QFile::ReadGroup; break;
    case Damage::KeyWorldReadable: keyMode |= QFile::ReadGroup | QFile::ReadOther; break;
    case Damage::KeyExecutable: keyMode |= QFile::ExeOwner; break;
    case Damage::KeyIsAFolder: return QDir().mkdir(keyPath) && writeFile(certPath, cert, certMode);
    case Damage::KeyUnreadableByUser: break; // root's, 0600, and the server drops to nobody
    case Damage::CertificateEmpty: cert.clear(); break;
    case Damage::CertificateCutShort: cert.truncate(cert.size() - 40); break;
    case Damage::CertificateGarbage: cert = QByteArray("-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                                                       "-----END CERTIFICATE-----\n"); break;
    case Damage::CertificateUnreadableByUser: certMode = OwnerOnly; break;
    }
    if (!writeFile(keyPath, key, keyMode) || !writeFile(certPath, cert, certMode))
        return false;
    if (damage == Damage::CertificateUnreadableByUser) { // nobody's key, root's certificate
        const passwd *nobody = ::getpwnam("nobody");
        return nobody && ::chown(QFile::encodeName(keyPath).constData(), nobody->pw_uid, nobody->pw_gid) == 0;
    }
    return true;
}

QStringList TestTlsIdentityFiles::serverArgs(const QString &stateDir, const QStringList &more) const
{
    return tlsOnly({QStringLiteral("--root"), m_tree.root(), QStringLiteral("--listen"),
                    QStringLiteral("127.0.0.1:%1").arg(m_occupant.serverPort()), QStringLiteral("--admin-socket"),
                    QStringLiteral("none"), QStringLiteral("--state-dir"), stateDir})
           + more;
}

void TestTlsIdentityFiles::expectRefusal(const QStringList &args, const QStringList &mentions,
                                         const QStringList &unchanged)
{
    QList<QStringList> before;
    for (const QString &dir : unchanged)
        before << snapshot(dir);
    const ServerProcess::RunResult result = ServerProcess::run(args, 20000);
    const QString err = QString::fromUtf8(result.err).trimmed();
    QVERIFY2(result.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(result.exitCode).arg(err)));
    QVERIFY2(!result.out.contains("listening on"), result.out.constData());
    QVERIFY2(err.count(u'\n') == 0, qPrintable(QStringLiteral("reason not on one line: ") + err));
    QVERIFY2(err.startsWith(QStringLiteral("ferry-server: cannot start: ")), qPrintable(err));
    for (const QString &mention : mentions)
        QVERIFY2(err.contains(mention), qPrintable(QStringLiteral("'%1' not in: %2").arg(mention, err)));
    for (qsizetype i = 0; i < unchanged.size(); ++i)
        QCOMPARE(snapshot(unchanged[i]), before[i]);
}

void TestTlsIdentityFiles::keptIdentityIsServedUnchanged()
{
    const QString state = freshFolder(QStringLiteral("kept"));
    QVERIFY(writeIdentity(state, Damage::None));
    const QStringList before = snapshot(state);
    ServerProcess server(m_tree.root(), tlsOnly({QStringLiteral("--state-dir"), state}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QCOMPARE(server.fingerprint(), m_fingerprint);
    QCOMPARE(server.stop(), 0);
    QStringList identity = snapshot(state).filter(QStringLiteral("identity."));
    QCOMPARE(identity, before.filter(QStringLiteral("identity."))); // neither file was rewritten
}

// The one thing remade: a certificate for the kept key, whose fingerprint is the key's.
void TestTlsIdentityFiles::missingCertificateIsMadeAgainForTheKeptKey()
{
    const QString state = freshFolder(QStringLiteral("nocert"));
    QVERIFY(writeFile(state + QStringLiteral("/identity.key"), m_key, OwnerOnly));
    const QStringList keyBefore = snapshot(state).filter(QStringLiteral("identity.key"));
    ServerProcess server(m_tree.root(), tlsOnly({QStringLiteral("--state-dir"), state}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QCOMPARE(server.fingerprint(), m_fingerprint);
    QTRY_VERIFY(server.stderrText().contains("certificate renewed")); // logged just after the listening line
    QCOMPARE(server.stop(), 0);
    QCOMPARE(snapshot(state).filter(QStringLiteral("identity.key")), keyBefore);
    QVERIFY(QFile::exists(state + QStringLiteral("/identity.crt")));
}

void TestTlsIdentityFiles::damagedIdentityIsRefusedBeforeAnything_data()
{
    QTest::addColumn<Damage>("damage");
    QTest::addColumn<bool>("asNobody"); // the row drops to --user nobody (needs root)
    QTest::addColumn<QStringList>("mentions");
    const QString key = QStringLiteral("identity.key"), cert = QStringLiteral("identity.crt");
    const QString damaged = QStringLiteral("is damaged"), unreadable = QStringLiteral("cannot read");
    QTest::newRow("certificate without its key")
        << Damage::CertificateWithoutKey << false << QStringList{key + " is missing", cert, "remove", Afresh};
    QTest::newRow("key empty") << Damage::KeyEmpty << false << QStringList{key, damaged, "the file is empty", Afresh};
    QTest::newRow("key cut short") << Damage::KeyCutShort << false << QStringList{key, damaged, "cut short", Afresh};
    QTest::newRow("key garbage") << Damage::KeyGarbage << false << QStringList{key, damaged, "no PEM block", Afresh};
    QTest::newRow("key with a line missing") << Damage::KeyLineMissing << false << QStringList{key, damaged, Afresh};
    QTest::newRow("key encrypted") << Damage::KeyEncrypted << false
                                   << QStringList{key, damaged, "encrypted with a passphrase", Afresh};
    QTest::newRow("key of another server")
        << Damage::KeyOfAnotherServer << false
        << QStringList{key, "is not the key of the certificate", cert, m_fingerprint, "put back the key", Afresh};
    QTest::newRow("key readable by its group")
        << Damage::KeyGroupReadable << false << QStringList{key, "mode 0640", "chmod 600", Afresh};
    QTest::newRow("key readable by everyone")
        << Damage::KeyWorldReadable << false << QStringList{key, "mode 0644", "chmod 600", Afresh};
    QTest::newRow("key executable")
        << Damage::KeyExecutable << false << QStringList{key, "is executable", "mode 0700", "chmod 600"};
    QTest::newRow("key is a folder") << Damage::KeyIsAFolder << false << QStringList{unreadable, key, "Is a directory"};
    QTest::newRow("key unreadable by --user")
        << Damage::KeyUnreadableByUser << true
        << QStringList{unreadable, key, "Permission denied", "must be able to read it", "as --user nobody"};
    QTest::newRow("certificate empty") << Damage::CertificateEmpty << false
                                       << QStringList{cert, damaged, "the file is empty", "remove it", key};
    QTest::newRow("certificate cut short") << Damage::CertificateCutShort << false
                                           << QStringList{cert, damaged, "cut short", "same fingerprint"};
    QTest::newRow("certificate garbage") << Damage::CertificateGarbage << false
                                         << QStringList{cert, damaged, "remove it"};
    QTest::newRow("certificate unreadable by --user")
        << Damage::CertificateUnreadableByUser << true
        << QStringList{unreadable, cert, "Permission denied", "as --user nobody"};
}

void TestTlsIdentityFiles::damagedIdentityIsRefusedBeforeAnything()
{
    QFETCH(Damage, damage);
    QFETCH(bool, asNobody);
    QFETCH(QStringList, mentions);
    if (asNobody && (::geteuid() != 0 || !::getpwnam("nobody")))
        QSKIP("needs root and a user 'nobody'");
    const QString state = freshFolder(QStringLiteral("state"));
    QVERIFY(writeIdentity(state, damage));
    const QStringList user = asNobody ? QStringList{QStringLiteral("--user"), QStringLiteral("nobody")} : QStringList{};
    expectRefusal(serverArgs(state, user), mentions, {state});
}

void TestTlsIdentityFiles::damagedOwnFilesAreRefusedBeforeAnything_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<int>("keyMode"); // octal
    QTest::addColumn<QByteArray>("cert");
    QTest::addColumn<QStringList>("mentions");
    const QString key = QStringLiteral("own.key (--tls-key)"), cert = QStringLiteral("own.crt (--tls-cert)");
    QTest::newRow("key garbage") << QByteArray(200, 'k') << 0600 << m_cert
                                 << QStringList{key, "is not a PEM private key", "no PEM block", "--tls-cert"};
    QTest::newRow("key cut short") << m_key.left(m_key.size() / 2) << 0600 << m_cert
                                   << QStringList{key, "is not a PEM private key", "cut short"};
    QTest::newRow("key encrypted") << m_encryptedKey << 0600 << m_cert
                                   << QStringList{key, "encrypted with a passphrase", "openssl pkey"};
    QTest::newRow("key readable by everyone") << m_key << 0644 << m_cert
                                              << QStringList{key, "mode 0644", "chmod 600"};
    QTest::newRow("key writable by its group") << m_key << 0660 << m_cert << QStringList{key, "mode 0660"};
    QTest::newRow("key executable") << m_key << 0700 << m_cert << QStringList{key, "is executable", "mode 0700"};
    QTest::newRow("certificate empty") << m_key << 0600 << QByteArray()
                                       << QStringList{cert, "is not a PEM certificate", "the file is empty"};
    QTest::newRow("certificate cut short") << m_key << 0600 << m_cert.left(m_cert.size() / 2)
                                           << QStringList{cert, "is not a PEM certificate", "cut short"};
    QTest::newRow("certificate of another key")
        << m_otherKey << 0600 << m_cert << QStringList{cert, "is not for the key", key, "belong together"};
}

void TestTlsIdentityFiles::damagedOwnFilesAreRefusedBeforeAnything()
{
    QFETCH(QByteArray, key);
    QFETCH(int, keyMode);
    QFETCH(QByteArray, cert);
    QFETCH(QStringList, mentions);
    const QString own = freshFolder(QStringLiteral("own")), state = freshFolder(QStringLiteral("ownstate"));
    const QString keyPath = own + QStringLiteral("/own.key"), certPath = own + QStringLiteral("/own.crt");
    QVERIFY(writeFile(keyPath, key, OwnerOnly) && writeFile(certPath, cert, Everyone));
    QCOMPARE(::chmod(QFile::encodeName(keyPath).constData(), mode_t(keyMode)), 0);
    expectRefusal(serverArgs(state, {QStringLiteral("--tls-cert"), certPath, QStringLiteral("--tls-key"), keyPath}),
                  mentions, {state, own});
}

// Debian's convention for keys services share (0640 root:ssl-cert) is not refused.
void TestTlsIdentityFiles::groupReadableOwnKeyIsServed()
{
    const QString own = freshFolder(QStringLiteral("own"));
    const QString keyPath = own + QStringLiteral("/own.key"), certPath = own + QStringLiteral("/own.crt");
    QVERIFY(writeFile(keyPath, m_key, OwnerOnly | QFile::ReadGroup) && writeFile(certPath, m_cert, Everyone));
    ServerProcess server(m_tree.root(),
                         tlsOnly({QStringLiteral("--tls-cert"), certPath, QStringLiteral("--tls-key"), keyPath}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QCOMPARE(server.fingerprint(), m_fingerprint);
}

// SIGHUP re-reads the identity: one damaged since the start is refused (the log says why) and the
// running identity stays; before, a certificate that was not for the key was silently made again.
void TestTlsIdentityFiles::reloadOnADamagedIdentityKeepsServing()
{
    const QString state = freshFolder(QStringLiteral("reload"));
    QVERIFY(writeIdentity(state, Damage::None));
    ServerProcess server(m_tree.root(), tlsOnly({QStringLiteral("--state-dir"), state}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(writeFile(state + QStringLiteral("/identity.key"), m_otherKey, OwnerOnly));
    const QStringList before = snapshot(state).filter(QStringLiteral("identity."));
    QVERIFY(server.signal(SIGHUP));
    QTRY_VERIFY_WITH_TIMEOUT(server.stderrText().contains("reload refused"), 10000);
    QVERIFY2(server.stderrText().contains("is not the key of the certificate"), server.stderrText().constData());
    QVERIFY(server.isRunning());
    QCOMPARE(snapshot(state).filter(QStringLiteral("identity.")), before);
    ShapedTlsClient client; // still served, with the identity it started with
    QString why;
    QVERIFY2(client.open(server.port(), &why), qPrintable(why));
    QCOMPARE(adminStatus(server).value(QStringLiteral("server")).toObject().value(QStringLiteral("identity")).toString(),
             m_fingerprint);
}

QTEST_GUILESS_MAIN(TestTlsIdentityFiles)
#include "tst_tls_identityfiles.moc"
