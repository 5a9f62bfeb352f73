#include "tls_client.h"

#include <cerrno>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <stdexcept>

namespace ferry::bench {

void SslFree::operator()(SSL *ssl) const { SSL_free(ssl); }

TlsClient::TlsClient() : m_context(SSL_CTX_new(TLS_client_method()))
{
    if (!m_context || SSL_CTX_set_min_proto_version(m_context, TLS1_3_VERSION) != 1)
        throw std::runtime_error("SSL_CTX_new(): cannot make a TLS 1.3 client context");
    SSL_CTX_set_verify(m_context, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_session_cache_mode(m_context, SSL_SESS_CACHE_OFF); // a full handshake per connection
    SSL_CTX_set_mode(m_context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

TlsClient::~TlsClient() { SSL_CTX_free(m_context); }

SslPtr TlsClient::connect(int fd) const
{
    SslPtr ssl(SSL_new(m_context));
    if (!ssl || SSL_set_fd(ssl.get(), fd) != 1)
        return nullptr;
    SSL_set_connect_state(ssl.get());
    return ssl;
}

namespace {

// -1 with errno for a call that moved nothing.
ssize_t stalled(SSL *ssl, int result)
{
    int saved = errno;
    switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: errno = EAGAIN; return -1;
    case SSL_ERROR_ZERO_RETURN: return 0;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        errno = saved == 0 ? EPIPE : saved;
        return errno == EAGAIN ? -1 : (saved == 0 ? 0 : -1);
    default: ERR_clear_error(); errno = EPROTO; return -1;
    }
}

} // namespace

TlsStep handshake(SSL *ssl)
{
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl);
    if (result == 1)
        return TlsStep::Done;
    const int error = SSL_get_error(ssl, result);
    ERR_clear_error();
    return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? TlsStep::Again : TlsStep::Failed;
}

ssize_t tlsWrite(SSL *ssl, const void *data, size_t size)
{
    ERR_clear_error();
    size_t sent = 0;
    const int result = SSL_write_ex(ssl, data, size, &sent);
    return result == 1 ? static_cast<ssize_t>(sent) : stalled(ssl, result);
}

ssize_t tlsRead(SSL *ssl, void *data, size_t size)
{
    ERR_clear_error();
    size_t got = 0;
    const int result = SSL_read_ex(ssl, data, size, &got);
    return result == 1 ? static_cast<ssize_t>(got) : stalled(ssl, result);
}

std::string negotiated(SSL *ssl)
{
    const SSL_CIPHER *suite = SSL_get_current_cipher(ssl);
    const char *group = OBJ_nid2sn(SSL_get_negotiated_group(ssl));
    return std::string(SSL_get_version(ssl)) + " " + (suite ? SSL_CIPHER_get_name(suite) : "?") + " "
           + (group ? group : "?");
}

bool resumed(SSL *ssl) { return SSL_session_reused(ssl) == 1; }

} // namespace ferry::bench
