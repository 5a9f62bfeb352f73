#include "shapedtlsclient.h"

#include "framereader.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace tlstest {

namespace proto = ferry::proto;

namespace {

QString sslError(const char *call, int code)
{
    const unsigned long error = ERR_get_error();
    ERR_clear_error();
    if (error == 0)
        return QStringLiteral("%1: SSL_get_error() %2").arg(QLatin1String(call)).arg(code);
    char text[256] = {};
    ERR_error_string_n(error, text, sizeof text);
    return QStringLiteral("%1: %2").arg(QLatin1String(call), QLatin1String(text));
}

// ALPN's wire form: each name with its length byte in front.
std::vector<unsigned char> alpnList(int bytes)
{
    std::vector<unsigned char> list;
    for (int index = 0; int(list.size()) < bytes; ++index) {
        std::string name = "ferry-padding-" + std::to_string(index) + "-";
        name.resize(255, 'x');
        list.push_back(255);
        list.insert(list.end(), name.begin(), name.end());
    }
    return list;
}

} // namespace

ShapedTlsClient::ShapedTlsClient(int timeoutMs) : m_timeoutMs(timeoutMs) {}

ShapedTlsClient::~ShapedTlsClient()
{
    SSL_free(m_ssl); // frees both memory BIOs
    SSL_CTX_free(m_context);
    if (m_fd >= 0)
        ::close(m_fd);
}

bool ShapedTlsClient::open(quint16 port, QString *why)
{
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        *why = QStringLiteral("connect(): %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    m_context = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(m_context, TLS1_3_VERSION);
    if (m_alpnBytes > 0) {
        const std::vector<unsigned char> list = alpnList(m_alpnBytes);
        if (SSL_CTX_set_alpn_protos(m_context, list.data(), unsigned(list.size())) != 0) {
            *why = QStringLiteral("SSL_CTX_set_alpn_protos() refused %1 bytes").arg(list.size());
            return false;
        }
    }
    m_ssl = SSL_new(m_context);
    m_toServer = BIO_new(BIO_s_mem());
    m_fromServer = BIO_new(BIO_s_mem());
    SSL_set_bio(m_ssl, m_fromServer, m_toServer);
    SSL_set_connect_state(m_ssl);
    if (!handshake(why) || !send(proto::Hello{proto::ProtocolVersion, "ferry-tests/shaped"}, why))
        return false;
    proto::Message welcome;
    if (!read(&welcome, why))
        return false;
    if (!std::holds_alternative<proto::Welcome>(welcome)) {
        *why = QStringLiteral("no WELCOME after HELLO");
        return false;
    }
    return true;
}

bool ShapedTlsClient::handshake(QString *why)
{
    for (;;) {
        ERR_clear_error();
        const int result = SSL_do_handshake(m_ssl);
        if (!flush(why))
            return false;
        if (result == 1)
            return true;
        const int code = SSL_get_error(m_ssl, result);
        if (code != SSL_ERROR_WANT_READ) {
            *why = sslError("SSL_do_handshake()", code);
            return false;
        }
        if (!pull(why))
            return false;
    }
}

bool ShapedTlsClient::flush(QString *why)
{
    char *data = nullptr;
    const long length = BIO_get_mem_data(m_toServer, &data);
    const QByteArray bytes(data, qsizetype(length));
    (void)BIO_reset(m_toServer);
    const bool first = m_clientHello.isEmpty();
    if (first)
        m_clientHello = bytes;
    const qsizetype step = first && m_trickle.count() > 0 ? 1 : bytes.size();
    for (qsizetype done = 0; done < bytes.size();) {
        if (step == 1 && done > 0)
            std::this_thread::sleep_for(m_trickle);
        const ssize_t sent = ::send(m_fd, bytes.constData() + done, size_t(std::min(step, bytes.size() - done)),
                                    MSG_NOSIGNAL);
        if (sent <= 0) {
            *why = QStringLiteral("send() after %1 of %2 bytes: %3")
                       .arg(done)
                       .arg(bytes.size())
                       .arg(QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        done += sent;
    }
    return true;
}

bool ShapedTlsClient::pull(QString *why)
{
    pollfd readable{m_fd, POLLIN, 0};
    const int ready = ::poll(&readable, 1, m_timeoutMs);
    if (ready <= 0) {
        *why = QStringLiteral("nothing arrived within %1 ms").arg(m_timeoutMs);
        return false;
    }
    char buffer[16 * 1024];
    const ssize_t got = ::recv(m_fd, buffer, sizeof buffer, 0);
    if (got <= 0) {
        *why = got == 0 ? QStringLiteral("the server closed the connection")
                        : QStringLiteral("recv(): %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    BIO_write(m_fromServer, buffer, int(got));
    return true;
}

bool ShapedTlsClient::send(const proto::Message &message, QString *why)
{
    const std::vector<uint8_t> frame = proto::encode(message);
    ERR_clear_error();
    const int wrote = SSL_write(m_ssl, frame.data(), int(frame.size())); // into memory: never blocks
    if (wrote != int(frame.size())) {
        *why = sslError("SSL_write()", SSL_get_error(m_ssl, wrote));
        return false;
    }
    return flush(why);
}

bool ShapedTlsClient::fill(QString *why)
{
    for (;;) {
        uint8_t buffer[16 * 1024];
        ERR_clear_error();
        const int got = SSL_read(m_ssl, buffer, sizeof buffer);
        if (got > 0) {
            m_decoder.feed({buffer, size_t(got)});
            return true;
        }
        const int code = SSL_get_error(m_ssl, got);
        if (code == SSL_ERROR_ZERO_RETURN) {
            *why = QStringLiteral("the server closed (close_notify)");
            return false;
        }
        if (code != SSL_ERROR_WANT_READ) {
            *why = sslError("SSL_read()", code);
            return false;
        }
        if (!flush(why) || !pull(why)) // a KeyUpdate or ticket may have asked for a write
            return false;
    }
}

bool ShapedTlsClient::read(proto::Message *message, QString *why)
{
    return readFrame(m_decoder, [this](QString *reason) { return fill(reason); }, message, why);
}

bool ShapedTlsClient::readBody(QByteArray *bytes, QString *why)
{
    bytes->clear();
    const auto take = [bytes](const proto::BodyChunk &chunk) {
        bytes->append(reinterpret_cast<const char *>(chunk.bytes.data()), qsizetype(chunk.bytes.size()));
    };
    uint64_t received = 0;
    return readBodyFrames(m_decoder, [this](QString *reason) { return fill(reason); }, take, &received, why);
}

} // namespace tlstest
