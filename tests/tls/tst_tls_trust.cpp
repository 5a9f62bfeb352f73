// Who the client trusts, against the real ferry-server over real TLS: pins in URLs, first contact,
// changed identities (ferry-get and the engine), the known-servers file, and plaintext refused.
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/fingerprint.h"
#include "client/servertrust.h"

#include <QFile>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace ferry;
using namespace tlstest;
using namespace ferrytest;

class TestTlsTrust : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void serverPrintsItsIdentityAndKeepsIt();
    void urlPinAcceptedAndRemembered();
    void wrongUrlPinRefusedBeforeAnyRequest();
    void firstContactRefusedWithoutTrustNew();
    void changedIdentityRefusedLoudly();
    void plaintextClientGetsTlsRequired();
    void plaintextAllowedWhenConfigured();
    void sessionsAreNeverResumed();

private:
    QString downloadWithEngine(const client::FerryUrl &url, QString *error);

    TestTree m_tree;
    QTemporaryDir m_config; // the engine's known-servers lives here
    QTemporaryDir m_dest;
};

void TestTlsTrust::initTestCase()
{
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("one.bin"), 300 * 1024 + 7, 11).isEmpty());
    client::ServerTrust::instance().setPlaintext(false); // FERRY_PLAINTEXT is set for the other suites
}

void TestTlsTrust::init()
{
    QFile::remove(knownServersFile(m_config.path()));
    client::ServerTrust::instance().setKnownServersPath(knownServersFile(m_config.path()));
    client::ServerTrust::instance().setTrustNew(false);
}

// Downloads `url` with a DownloadQueue; the local path, or "" with *error set.
QString TestTlsTrust::downloadWithEngine(const client::FerryUrl &url, QString *error)
{
    client::ServerTrust::instance().requirePin(url);
    client::DownloadQueue queue;
    queue.setExistingFilePolicy(client::ExistingFilePolicy::Overwrite);
    client::DownloadJob *job = queue.addFile(url, m_dest.path());
    QSignalSpy finished(job, &client::DownloadJob::finished);
    if (!finished.wait(60000) && !job->isFinished()) {
        *error = QStringLiteral("no end");
        return {};
    }
    *error = job->errorString();
    return job->state() == client::DownloadJob::State::Done ? job->localPath() : QString();
}

void TestTlsTrust::serverPrintsItsIdentityAndKeepsIt()
{
    QTemporaryDir state;
    const QStringList args = tlsOnly({QStringLiteral("--state-dir"), state.path()});
    QString first;
    {
        ServerProcess server(m_tree.root(), args);
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        first = server.fingerprint();
        QCOMPARE(client::normalizedFingerprint(first), first); // 13 groups of 4 base32 characters
        const QJsonObject about = adminStatus(server).value(QStringLiteral("server")).toObject();
        QCOMPARE(about.value(QStringLiteral("identity")).toString(), first);
        QVERIFY(server.stderrText().contains(first.toUtf8())); // logged at start-up
        const auto online = ServerProcess::runProgram(
            QStringLiteral(CTL_BIN),
            {QStringLiteral("--admin-socket"), server.adminSocketPath(), QStringLiteral("identity")});
        QCOMPARE(online.exitCode, 0);
        QCOMPARE(online.out.trimmed(), first.toUtf8());
        QCOMPARE(QFile::permissions(state.filePath(QStringLiteral("identity.key"))),
                 QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadUser | QFileDevice::WriteUser);
        QCOMPARE(server.stop(), 0);
    }
    ServerProcess again(m_tree.root(), args);
    QVERIFY2(again.start(), qPrintable(again.diagnostics()));
    QCOMPARE(again.fingerprint(), first); // the key is kept: the same identity after a restart
    const auto offline = ServerProcess::runProgram(
        QStringLiteral(CTL_BIN), {QStringLiteral("identity"), QStringLiteral("--state-dir"), state.path()});
    QCOMPARE(offline.exitCode, 0);
    QCOMPARE(offline.out.trimmed(), first.toUtf8());
    // The engine computes the same fingerprint from the certificate the server serves.
    const auto certificates = QSslCertificate::fromPath(state.filePath(QStringLiteral("identity.crt")));
    QCOMPARE(certificates.size(), 1);
    QCOMPARE(client::fingerprintOf(certificates.first()), first);
}

void TestTlsTrust::urlPinAcceptedAndRemembered()
{
    ServerProcess server(m_tree.root(), tlsOnly());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    client::FerryUrl url(server.host(), server.port(), QStringLiteral("one.bin"));
    url.setFingerprint(server.fingerprint());
    QString error;
    const QString local = downloadWithEngine(url, &error);
    QVERIFY2(!local.isEmpty(), qPrintable(error));
    QString why;
    QVERIFY2(ferrytest::sameContent(m_tree.path(QStringLiteral("one.bin")), local, &why), qPrintable(why));
    const QString key = client::KnownServers::serverKey(server.host(), server.port());
    QCOMPARE(client::ServerTrust::instance().knownServers().fingerprintFor(key), server.fingerprint());
    QVERIFY(requestsServed(server) >= 1); // the counter the refusal tests read does count
    QVERIFY2(client::ServerTrust::instance().securityOf(key).startsWith(QStringLiteral("TLSv1.3, pinned identity")),
             qPrintable(client::ServerTrust::instance().securityOf(key)));
}

void TestTlsTrust::wrongUrlPinRefusedBeforeAnyRequest()
{
    ServerProcess server(m_tree.root(), tlsOnly());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QString wrong = server.fingerprint();
    wrong[0] = wrong[0] == u'A' ? u'B' : u'A';
    const auto url = client::FerryUrl::parse(
        QStringLiteral("ferry://%1:%2/one.bin?fp=%3").arg(server.host()).arg(server.port()).arg(wrong.toLower()));
    QVERIFY(url && url->fingerprint() == wrong);
    QString error;
    QVERIFY(downloadWithEngine(*url, &error).isEmpty());
    QVERIFY2(error.contains(QStringLiteral("not the %1 its URL asks for").arg(wrong)), qPrintable(error));
    QCOMPARE(requestsServed(server), 0); // refused during the handshake: no HELLO, no GET went out
    QVERIFY(client::ServerTrust::instance().knownServers().entries().isEmpty());
}

void TestTlsTrust::firstContactRefusedWithoutTrustNew()
{
    ServerProcess server(m_tree.root(), tlsOnly());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QTemporaryDir config, out;
    const QString url = QStringLiteral("ferry://%1:%2/one.bin").arg(server.host()).arg(server.port());
    const QStringList args{QStringLiteral("--no-progress"), QStringLiteral("-o"), out.path(), url};
    Run refused = runGet(config.path(), args);
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains(server.fingerprint().toUtf8()), refused.err.constData());
    QVERIFY2(refused.err.contains("--trust-new"), refused.err.constData());
    QVERIFY(!QFile::exists(out.filePath(QStringLiteral("one.bin"))));
    QCOMPARE(requestsServed(server), 0);

    Run trusted = runGet(config.path(), QStringList{QStringLiteral("--trust-new")} + args);
    QVERIFY2(trusted.exitCode == 0, trusted.err.constData());
    QString why;
    QVERIFY2(ferrytest::sameContent(m_tree.path(QStringLiteral("one.bin")), out.filePath(QStringLiteral("one.bin")),
                                    &why),
             qPrintable(why));
    Run list = runGet(config.path(), {QStringLiteral("known-servers"), QStringLiteral("list")});
    QCOMPARE(list.exitCode, 0);
    QVERIFY2(list.out.contains(server.fingerprint().toUtf8()), list.out.constData());
    // Pinned now: the next run needs no flag.
    Run again = runGet(config.path(), QStringList{QStringLiteral("--on-exists"), QStringLiteral("overwrite")} + args);
    QVERIFY2(again.exitCode == 0, again.err.constData());
    // What ferry-get prints is its own: no warning of Qt's (as its TLS connections closing after the
    // application object was gone once printed).
    QVERIFY2(!again.err.contains("qt.") && !again.err.contains("QObject"), again.err.constData());
}

void TestTlsTrust::changedIdentityRefusedLoudly()
{
    ServerProcess server(m_tree.root(), tlsOnly());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QTemporaryDir config, out;
    const QString key = client::KnownServers::serverKey(server.host(), server.port());
    const QString other = QStringLiteral("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH-IIII-JJJJ-KKKK-LLLL-MMMM");
    QVERIFY(client::KnownServers(knownServersFile(config.path())).add(key, other));
    const QString url = QStringLiteral("ferry://%1:%2/one.bin").arg(server.host()).arg(server.port());
    // Not even --trust-new lets a changed identity through.
    Run refused = runGet(config.path(), {QStringLiteral("--no-progress"), QStringLiteral("--trust-new"),
                                         QStringLiteral("-o"), out.path(), url});
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains("HAS CHANGED"), refused.err.constData());
    QVERIFY(refused.err.contains(other.toUtf8()) && refused.err.contains(server.fingerprint().toUtf8()));
    QVERIFY2(refused.err.contains(("ferry-get known-servers remove " + key).toUtf8()), refused.err.constData());
    QCOMPARE(requestsServed(server), 0);
    // The engine too, and it tells a window why.
    client::ServerTrust::instance().knownServers().add(key, other);
    QSignalSpy changed(&client::ServerTrust::instance(), &client::ServerTrust::identityChanged);
    QString error;
    const client::FerryUrl unpinned(server.host(), server.port(), QStringLiteral("one.bin"));
    QVERIFY(downloadWithEngine(unpinned, &error).isEmpty());
    QVERIFY2(error.contains(QStringLiteral("HAS CHANGED")), qPrintable(error));
    QTRY_COMPARE(changed.count(), 1);
    QCOMPARE(changed.first().at(2).toString(), server.fingerprint());

    Run removed = runGet(config.path(), {QStringLiteral("known-servers"), QStringLiteral("remove"), key});
    QCOMPARE(removed.exitCode, 0);
    Run trusted = runGet(config.path(), {QStringLiteral("--no-progress"), QStringLiteral("--trust-new"),
                                         QStringLiteral("-o"), out.path(), url});
    QVERIFY2(trusted.exitCode == 0, trusted.err.constData());
}

void TestTlsTrust::plaintextClientGetsTlsRequired()
{
    ServerProcess server(m_tree.root(), tlsOnly());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    const Status status = client.open(server.host(), server.port());
    QVERIFY2(status.is(proto::ErrorCode::TlsRequired), qPrintable(status.toString()));
    QVERIFY2(QString::fromStdString(status.message).contains(QStringLiteral("only inside TLS")),
             status.message.c_str());
    QCOMPARE(client.waitForClose(nullptr, 5000).outcome, Outcome::Closed);
    // An HTTP client still gets the answer it always got.
    TestClient http;
    QVERIFY(http.connectTo(server.host(), server.port()).ok());
    QVERIFY(http.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    proto::Message answer;
    QVERIFY(http.readMessage(&answer).ok());
    QVERIFY(std::holds_alternative<proto::Error>(answer));
    QCOMPARE(std::get<proto::Error>(answer).code, proto::ErrorCode::BadRequest);
}

void TestTlsTrust::plaintextAllowedWhenConfigured()
{
    ServerProcess server(m_tree.root(), {QStringLiteral("--plaintext"), QStringLiteral("allow")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    QCOMPARE(client.get("one.bin").data.size(), 300 * 1024 + 7);
    // The same port still speaks TLS.
    client::FerryUrl url(server.host(), server.port(), QStringLiteral("one.bin"));
    url.setFingerprint(server.fingerprint());
    QString error;
    QVERIFY2(!downloadWithEngine(url, &error).isEmpty(), qPrintable(error));
    const QJsonObject about = adminStatus(server).value(QStringLiteral("server")).toObject();
    QCOMPARE(about.value(QStringLiteral("plaintext")).toString(), QStringLiteral("allow"));
}

// No TLS session is resumed (docs/SECURITY.md, "Sessions are not resumed"): the server sends no
// ticket, and a client that offers the session of its earlier connection gets a full handshake, in
// which the server shows its certificate again, so the pin is checked on every connection.
void TestTlsTrust::sessionsAreNeverResumed()
{
    ServerProcess server(m_tree.root(), tlsOnly());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QString why;
    TlsRawClient first;
    QVERIFY2(first.open(server.host(), server.port(), &why), qPrintable(why));
    // TLS 1.3 sends tickets right after the handshake, so one would have been read with the WELCOME.
    QVERIFY(!first.holdsTicket());
    TlsRawClient second;
    second.offerSessionOf(first);
    QVERIFY2(second.open(server.host(), server.port(), &why), qPrintable(why));
    QVERIFY(!second.resumed());
    QVERIFY(!second.peerCertificate().isEmpty());
    QCOMPARE(second.peerCertificate(), first.peerCertificate());
}

QTEST_GUILESS_MAIN(TestTlsTrust)
#include "tst_tls_trust.moc"
