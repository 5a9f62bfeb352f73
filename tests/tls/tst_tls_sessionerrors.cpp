// The worker's TLS session (tls/tls_session.h) and OpenSSL's per-thread error queue, on a real socket
// pair against an OpenSSL client: SSL_get_error() reports SSL_ERROR_SSL whenever the queue holds
// anything, so an error some other OpenSSL call in the worker left behind (a digest, a failed session
// next door) would turn a read that merely has to wait into a failed connection, unless every call
// starts from an empty queue. And a session that ends reports how.
#include "tls/identity.h"
#include "tls/tls_context.h"
#include "tls/tls_session.h"

#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace stls = ferry::server::tls;
using stls::TlsStatus;

namespace {

// What another OpenSSL user of the thread could leave in the queue.
void leaveStaleError() { ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PACKET_LENGTH); }

struct SslFree {
    void operator()(SSL *ssl) const { SSL_free(ssl); }
    void operator()(SSL_CTX *context) const { SSL_CTX_free(context); }
};

} // namespace

class TestTlsSessionErrors : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void staleErrorFailsNoReadThatMustWait();
    void closeNotifyAfterAStaleErrorIsAClose();
    void bareCloseDuringTheHandshakeIsNamed();

private:
    // Steps both ends until the handshake is done. False if either end fails or it takes more than a
    // few rounds. (No stale error here: OpenSSL's handshake state machine empties the queue itself.)
    bool handshakeBoth();

    QTemporaryDir m_state;
    std::unique_ptr<stls::TlsContext> m_context;
    std::unique_ptr<SSL_CTX, SslFree> m_clientContext;
    int m_serverFd = -1, m_clientFd = -1;
    std::unique_ptr<stls::TlsSession> m_session;
    std::unique_ptr<SSL, SslFree> m_client;
};

void TestTlsSessionErrors::initTestCase()
{
    QVERIFY(m_state.isValid());
    m_context = std::make_unique<stls::TlsContext>(stls::ensureIdentity(m_state.path().toStdString()));
    m_clientContext.reset(SSL_CTX_new(TLS_client_method()));
    QVERIFY(m_clientContext);
}

void TestTlsSessionErrors::init()
{
    int ends[2];
    QCOMPARE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends), 0);
    m_serverFd = ends[0];
    m_clientFd = ends[1];
    std::string error;
    m_session = stls::TlsSession::accept(*m_context, m_serverFd, error);
    QVERIFY2(m_session, error.c_str());
    m_client.reset(SSL_new(m_clientContext.get()));
    QVERIFY(m_client && SSL_set_fd(m_client.get(), m_clientFd) == 1);
    SSL_set_connect_state(m_client.get());
}

void TestTlsSessionErrors::cleanup()
{
    m_session.reset();
    m_client.reset();
    for (int fd : {m_serverFd, m_clientFd})
        if (fd >= 0)
            ::close(fd);
    m_serverFd = m_clientFd = -1;
    ERR_clear_error();
}

bool TestTlsSessionErrors::handshakeBoth()
{
    bool clientDone = false, serverDone = false;
    for (int round = 0; round < 16 && !(clientDone && serverDone); ++round) {
        if (!clientDone) {
            ERR_clear_error();
            const int result = SSL_do_handshake(m_client.get());
            clientDone = result == 1;
            if (!clientDone && SSL_get_error(m_client.get(), result) != SSL_ERROR_WANT_READ)
                return false;
        }
        if (!serverDone) {
            const TlsStatus status = m_session->handshake();
            serverDone = status == TlsStatus::Ok;
            if (!serverDone && status != TlsStatus::WantRead && status != TlsStatus::WantWrite) {
                qWarning("server handshake: %s", m_session->lastError().c_str());
                return false;
            }
        }
    }
    return clientDone && serverDone;
}

void TestTlsSessionErrors::staleErrorFailsNoReadThatMustWait()
{
    QVERIFY(handshakeBoth());
    char buffer[64];
    leaveStaleError();
    QCOMPARE(m_session->read(buffer, sizeof buffer).status, TlsStatus::WantRead); // nothing sent yet
    QVERIFY(SSL_write(m_client.get(), "ping", 4) == 4);
    leaveStaleError();
    const stls::TlsIo io = m_session->read(buffer, sizeof buffer);
    QCOMPARE(io.status, TlsStatus::Ok);
    QCOMPARE(QByteArray(buffer, qsizetype(io.bytes)), QByteArray("ping"));
}

void TestTlsSessionErrors::closeNotifyAfterAStaleErrorIsAClose()
{
    QVERIFY(handshakeBoth());
    QVERIFY(SSL_shutdown(m_client.get()) >= 0); // the client's close_notify
    char buffer[64];
    leaveStaleError();
    QCOMPARE(m_session->read(buffer, sizeof buffer).status, TlsStatus::Closed);
}

// A client that connects and closes before its ClientHello: the worker's log says so, not "".
void TestTlsSessionErrors::bareCloseDuringTheHandshakeIsNamed()
{
    ::close(m_clientFd);
    m_clientFd = -1;
    QCOMPARE(m_session->handshake(), TlsStatus::Closed);
    QVERIFY2(m_session->lastError().find("closed") != std::string::npos, m_session->lastError().c_str());
}

QTEST_GUILESS_MAIN(TestTlsSessionErrors)
#include "tst_tls_sessionerrors.moc"
