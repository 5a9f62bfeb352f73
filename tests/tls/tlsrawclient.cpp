#include "tlsrawclient.h"

#include "framereader.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace tlstest {

namespace {

QString sslError(const char *call)
{
    const unsigned long error = ERR_get_error();
    if (error == 0) // a failed system call: the socket's timeout, a reset
        return QStringLiteral("%1: %2").arg(QLatin1String(call), QString::fromLocal8Bit(std::strerror(errno)));
    char text[256] = {};
    ERR_error_string_n(error, text, sizeof text);
    return QStringLiteral("%1: %2").arg(QLatin1String(call), QLatin1String(text));
}

} // namespace

TlsRawClient::TlsRawClient(int timeoutMs, int receiveBuffer) : m_timeoutMs(timeoutMs), m_receiveBuffer(receiveBuffer)
{
}

TlsRawClient::~TlsRawClient()
{
    if (m_ssl)
        SSL_free(m_ssl);
    SSL_SESSION_free(m_offered);
    if (m_context)
        SSL_CTX_free(m_context);
    if (m_fd >= 0)
        ::close(m_fd);
}

bool TlsRawClient::open(const QString &host, quint16 port, QString *why)
{
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_receiveBuffer > 0)
        setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &m_receiveBuffer, sizeof m_receiveBuffer);
    timeval timeout{m_timeoutMs / 1000, (m_timeoutMs % 1000) * 1000}; // every read and write is bounded
    setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, host.toLatin1().constData(), &address.sin_addr);
    if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        *why = QStringLiteral("connect() failed");
        return false;
    }
    m_context = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(m_context, TLS1_3_VERSION);
    m_ssl = SSL_new(m_context);
    SSL_set_fd(m_ssl, m_fd);
    if (m_offered)
        SSL_set_session(m_ssl, m_offered);
    if (SSL_connect(m_ssl) != 1) {
        *why = sslError("SSL_connect()");
        return false;
    }
    if (!send(proto::Hello{m_version, "ferry-tests/tls"})) {
        *why = QStringLiteral("HELLO could not be sent");
        return false;
    }
    proto::Message welcome;
    if (!read(&welcome, why))
        return false;
    if (!std::holds_alternative<proto::Welcome>(welcome)) {
        *why = QStringLiteral("no WELCOME after HELLO");
        return false;
    }
    return true;
}

void TlsRawClient::offerSessionOf(const TlsRawClient &earlier)
{
    SSL_SESSION_free(m_offered);
    m_offered = earlier.m_ssl ? SSL_get1_session(earlier.m_ssl) : nullptr;
}

bool TlsRawClient::holdsTicket() const
{
    const SSL_SESSION *session = m_ssl ? SSL_get0_session(m_ssl) : nullptr;
    return session && SSL_SESSION_is_resumable(session) == 1;
}

bool TlsRawClient::resumed() const { return m_ssl && SSL_session_reused(m_ssl) == 1; }

QByteArray TlsRawClient::peerCertificate() const
{
    X509 *certificate = m_ssl ? SSL_get0_peer_certificate(m_ssl) : nullptr;
    unsigned char *der = nullptr;
    const int length = certificate ? i2d_X509(certificate, &der) : 0;
    QByteArray bytes = length > 0 ? QByteArray(reinterpret_cast<const char *>(der), length) : QByteArray();
    OPENSSL_free(der);
    return bytes;
}

bool TlsRawClient::send(const proto::Message &message)
{
    const std::vector<uint8_t> frame = proto::encode(message);
    return SSL_write(m_ssl, frame.data(), int(frame.size())) == int(frame.size());
}

bool TlsRawClient::sendInOneWrite(const std::vector<proto::Message> &messages)
{
    BIO *memory = BIO_new(BIO_s_mem());
    SSL_set0_wbio(m_ssl, memory); // the records collect here (the socket's BIO stays the rbio)
    bool encrypted = true;
    for (const proto::Message &message : messages)
        encrypted = encrypted && send(message);
    char *records = nullptr;
    const long length = BIO_get_mem_data(memory, &records);
    const std::string bytes(records, size_t(length));
    SSL_set0_wbio(m_ssl, BIO_new_socket(m_fd, BIO_NOCLOSE)); // frees `memory`
    return encrypted && ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size());
}

bool TlsRawClient::fill(QString *why)
{
    uint8_t buffer[16 * 1024];
    if (m_readPause.count() > 0) // pacing the reader on purpose, not waiting for anything
        std::this_thread::sleep_for(m_readPause);
    const int got = SSL_read(m_ssl, buffer, sizeof buffer);
    if (got > 0) {
        m_decoder.feed({buffer, size_t(got)});
        return true;
    }
    const int error = SSL_get_error(m_ssl, got);
    m_closeNotify = error == SSL_ERROR_ZERO_RETURN;
    *why = error == SSL_ERROR_ZERO_RETURN ? QStringLiteral("the server closed (close_notify)")
           : error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)
               ? QStringLiteral("nothing arrived within %1 ms").arg(m_timeoutMs)
               : sslError("SSL_read()");
    return false;
}

bool TlsRawClient::read(proto::Message *message, QString *why)
{
    return readFrame(m_decoder, [this](QString *reason) { return fill(reason); }, message, why);
}

quint16 TlsRawClient::localPort() const
{
    sockaddr_in address{};
    socklen_t size = sizeof address;
    if (m_fd < 0 || getsockname(m_fd, reinterpret_cast<sockaddr *>(&address), &size) != 0)
        return 0;
    return ntohs(address.sin_port);
}

bool TlsRawClient::hasIncoming() const
{
    pollfd p{m_fd, POLLIN, 0};
    return m_decoder.buffered() > 0 || (m_ssl && SSL_pending(m_ssl) > 0) || poll(&p, 1, 0) > 0;
}

bool TlsRawClient::halfClose(bool closeNotify)
{
    // SSL_shutdown() says 0 once its close_notify is out and the server's has not come yet.
    if (closeNotify && SSL_shutdown(m_ssl) < 0)
        return false;
    return ::shutdown(m_fd, SHUT_WR) == 0;
}

bool TlsRawClient::awaitCloseNotify(QString *why)
{
    proto::Message message;
    if (read(&message, why)) {
        *why = QStringLiteral("a frame arrived where the connection should end");
        return false;
    }
    return m_closeNotify;
}

bool TlsRawClient::readBody(uint64_t *received, QString *why, QCryptographicHash *digest)
{
    const auto take = [digest](const proto::BodyChunk &chunk) {
        if (digest)
            digest->addData(QByteArrayView(chunk.bytes.data(), qsizetype(chunk.bytes.size())));
    };
    return readBodyFrames(m_decoder, [this](QString *reason) { return fill(reason); }, take, received, why);
}

} // namespace tlstest
