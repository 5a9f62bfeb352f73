// Certificates other than the generated identity, and who owns the key: an administrator's own
// --tls-cert/--tls-key (and a pair that does not belong together), a certificate from a CA the client
// trusts (accepted without a prompt and not pinned), and the key file of a server that drops to --user.
#include "serverprocess.h"
#include "testtree.h"
#include "tlstesthelpers.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/fingerprint.h"
#include "client/servertrust.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QTemporaryDir>
#include <QTest>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ferry;
using namespace tlstest;

class TestTlsCerts : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void administratorsOwnCertificate();
    void mismatchedCertificateAndKeyRefusedAtStart();
    void certificateFromATrustedCaNeedsNoPin();
    void keyIsOwnedByTheUserTheServerDropsTo();
    void keyInsideTheServedRootIsRefused();

private:
    // Runs openssl with `args` in m_certs; false (and the output logged) on failure.
    bool openssl(const QStringList &args);
    QString certPath(const QString &name) const { return m_certs.filePath(name); }

    ferrytest::TestTree m_tree;
    QTemporaryDir m_certs;
    QTemporaryDir m_config;
};

bool TestTlsCerts::openssl(const QStringList &args)
{
    QProcess process;
    process.setWorkingDirectory(m_certs.path());
    process.start(QStringLiteral("openssl"), args);
    if (!process.waitForFinished(30000) || process.exitCode() != 0) {
        qWarning("openssl %s: %s", qPrintable(args.join(u' ')), process.readAllStandardError().constData());
        return false;
    }
    return true;
}

void TestTlsCerts::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("c.bin"), 200000, 9).isEmpty());
    client::ServerTrust::instance().setPlaintext(false);
    client::ServerTrust::instance().setKnownServersPath(knownServersFile(m_config.path()));
    // A private CA, a server certificate it signed for "localhost", and an unrelated key.
    const QString ec = QStringLiteral("ec:") + certPath(QStringLiteral("p256.pem"));
    QVERIFY(openssl({"ecparam", "-name", "prime256v1", "-out", "p256.pem"}));
    QVERIFY(openssl({"req", "-x509", "-newkey", ec, "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-subj",
                     "/CN=Ferry Test CA", "-days", "2"}));
    QVERIFY(openssl({"req", "-newkey", ec, "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
                     "/CN=localhost"}));
    QFile extensions(certPath(QStringLiteral("ext.cnf")));
    QVERIFY(extensions.open(QIODevice::WriteOnly));
    extensions.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n");
    extensions.close();
    QVERIFY(openssl({"x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                     "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf"}));
    QVERIFY(openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key"}));
    QVERIFY(QFile::setPermissions(certPath(QStringLiteral("server.key")),
                                  QFileDevice::ReadOwner | QFileDevice::WriteOwner));
}

void TestTlsCerts::administratorsOwnCertificate()
{
    ServerProcess server(m_tree.root(), tlsOnly({QStringLiteral("--tls-cert"), certPath(QStringLiteral("server.crt")),
                                                 QStringLiteral("--tls-key"), certPath(QStringLiteral("server.key"))}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const auto certificates = QSslCertificate::fromPath(certPath(QStringLiteral("server.crt")));
    QCOMPARE(certificates.size(), 1);
    QCOMPARE(server.fingerprint(), client::fingerprintOf(certificates.first()));
    QVERIFY(!QFile::exists(server.stateDir() + QStringLiteral("/identity.key"))); // nothing generated
}

void TestTlsCerts::mismatchedCertificateAndKeyRefusedAtStart()
{
    const auto result = ServerProcess::run({QStringLiteral("--root"), m_tree.root(), QStringLiteral("--listen"),
                                            QStringLiteral("127.0.0.1:0"), QStringLiteral("--admin-socket"),
                                            QStringLiteral("none"), QStringLiteral("--tls-cert"),
                                            certPath(QStringLiteral("server.crt")), QStringLiteral("--tls-key"),
                                            certPath(QStringLiteral("other.key"))});
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.err.contains("is not for the key"), result.err.constData());
    const auto alone = ServerProcess::run({QStringLiteral("--root"), m_tree.root(), QStringLiteral("--tls-cert"),
                                           certPath(QStringLiteral("server.crt"))});
    QCOMPARE(alone.exitCode, 2);
    QVERIFY2(alone.err.contains("--tls-cert and --tls-key go together"), alone.err.constData());
}

void TestTlsCerts::certificateFromATrustedCaNeedsNoPin()
{
    ServerProcess server(m_tree.root(), tlsOnly({QStringLiteral("--tls-cert"), certPath(QStringLiteral("server.crt")),
                                                 QStringLiteral("--tls-key"), certPath(QStringLiteral("server.key"))}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QSslConfiguration saved = QSslConfiguration::defaultConfiguration();
    QSslConfiguration withCa = saved;
    withCa.addCaCertificates(QSslCertificate::fromPath(certPath(QStringLiteral("ca.crt"))));
    QSslConfiguration::setDefaultConfiguration(withCa);
    QFile::remove(knownServersFile(m_config.path()));
    QSignalSpy unknown(&client::ServerTrust::instance(), &client::ServerTrust::unknownServer);
    QTemporaryDir dest;
    client::DownloadQueue queue;
    // "localhost": the name the CA vouched for (127.0.0.1 would be a host-name mismatch).
    client::DownloadJob *job = queue.addFile(client::FerryUrl(QStringLiteral("localhost"), server.port(),
                                                               QStringLiteral("c.bin")), dest.path());
    QSignalSpy finished(job, &client::DownloadJob::finished);
    QVERIFY(finished.wait(30000) || job->isFinished());
    QSslConfiguration::setDefaultConfiguration(saved);
    QVERIFY2(job->state() == client::DownloadJob::State::Done, qPrintable(job->errorString()));
    QCOMPARE(unknown.count(), 0);
    QVERIFY(client::ServerTrust::instance().knownServers().entries().isEmpty()); // not pinned
    const QString key = client::KnownServers::serverKey(QStringLiteral("localhost"), server.port());
    QVERIFY2(client::ServerTrust::instance().securityOf(key).contains(QStringLiteral("trusted authority")),
             qPrintable(client::ServerTrust::instance().securityOf(key)));
    // Without the CA the same server is a first contact (a new queue: no pooled connection).
    QTemporaryDir again;
    client::DownloadQueue fresh;
    client::DownloadJob *refused = fresh.addFile(client::FerryUrl(QStringLiteral("localhost"), server.port(),
                                                                   QStringLiteral("c.bin")), again.path());
    QSignalSpy refusedEnd(refused, &client::DownloadJob::finished);
    QVERIFY(refusedEnd.wait(30000) || refused->isFinished());
    QVERIFY2(refused->errorString().contains(QStringLiteral("first contact")), qPrintable(refused->errorString()));
}

void TestTlsCerts::keyIsOwnedByTheUserTheServerDropsTo()
{
    if (geteuid() != 0)
        QSKIP("needs root to drop to another user");
    const passwd *nobody = getpwnam("nobody");
    QVERIFY(nobody);
    const uid_t nobodyUid = nobody->pw_uid; // getpwnam's buffer is reused by later calls
    ferrytest::TestTree tree; // readable by nobody
    const auto readable = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
                          | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther;
    QVERIFY(QFile::setPermissions(tree.base(), readable) && QFile::setPermissions(tree.root(), readable));
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--user"), QStringLiteral("nobody")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    struct stat key {};
    QCOMPARE(::stat(QFile::encodeName(server.stateDir() + QStringLiteral("/identity.key")).constData(), &key), 0);
    QCOMPARE(key.st_uid, nobodyUid);
    QCOMPARE(key.st_mode & 0777, 0600u);
    QVERIFY(!server.fingerprint().isEmpty());
}

void TestTlsCerts::keyInsideTheServedRootIsRefused()
{
    const QStringList base{QStringLiteral("--root"), m_tree.root(), QStringLiteral("--listen"),
                           QStringLiteral("127.0.0.1:0"), QStringLiteral("--admin-socket"), QStringLiteral("none")};
    // Through a `..` that comes back in: resolved before comparing.
    const QString state = m_tree.root() + QStringLiteral("/../root/.ferry");
    const auto refused = ServerProcess::run(base + QStringList{QStringLiteral("--state-dir"), state});
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains("is inside the served root"), refused.err.constData());
    QVERIFY(!QFile::exists(m_tree.path(QStringLiteral(".ferry")))); // refused before it was made
    QVERIFY(QFile::copy(certPath(QStringLiteral("server.key")), m_tree.path(QStringLiteral("key.pem"))));
    const auto ownKey = ServerProcess::run(base + QStringList{QStringLiteral("--tls-cert"),
                                                              certPath(QStringLiteral("server.crt")),
                                                              QStringLiteral("--tls-key"),
                                                              m_tree.path(QStringLiteral("key.pem"))});
    QCOMPARE(ownKey.exitCode, 2);
    QVERIFY2(ownKey.err.contains("is inside the served root"), ownKey.err.constData());
    QFile::remove(m_tree.path(QStringLiteral("key.pem")));
}

QTEST_GUILESS_MAIN(TestTlsCerts)
#include "tst_tls_certs.moc"
