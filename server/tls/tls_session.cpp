#include "tls/tls_session.h"

#include "tls/certificate.h"

#include <cerrno>
#include <cstring>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace ferry::server::tls {

std::unique_ptr<TlsSession> TlsSession::accept(const TlsContext &context, int fd, std::string &error)
{
    SSL *ssl = SSL_new(context.get());
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        error = "SSL_new(): " + opensslError();
        SSL_free(ssl);
        return nullptr;
    }
    SSL_set_accept_state(ssl);
    return std::unique_ptr<TlsSession>(new TlsSession(ssl));
}

TlsSession::~TlsSession() { SSL_free(m_ssl); }

void TlsSession::beginCall()
{
    // SSL_get_error() answers SSL_ERROR_SSL whenever the thread's queue holds an error, whoever left it
    // there, and SSL_ERROR_SYSCALL leaves errno as the failed call set it, if any did: both are made to
    // speak of this call only.
    ERR_clear_error();
    errno = 0;
}

TlsStatus TlsSession::classify(int result, const char *call, TlsStatus wouldBlock)
{
    int saved = errno;
    switch (SSL_get_error(m_ssl, result)) {
    case SSL_ERROR_NONE: return TlsStatus::Ok;
    case SSL_ERROR_WANT_READ: return TlsStatus::WantRead;
    case SSL_ERROR_WANT_WRITE: return TlsStatus::WantWrite;
    case SSL_ERROR_ZERO_RETURN:
        m_lastError = std::string(call) + ": the client closed the connection";
        return TlsStatus::Closed;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (saved == EAGAIN || saved == EWOULDBLOCK) // OpenSSL 3.0 can report a would-block this way
            return wouldBlock;
        m_fatal = true; // OpenSSL: no more I/O on this session, SSL_shutdown() included
        m_lastError = std::string(call) + ": "
                      + (saved == 0 ? std::string("the client closed the connection") : std::strerror(saved));
        return saved == 0 || saved == EPIPE || saved == ECONNRESET ? TlsStatus::Closed : TlsStatus::Failed;
    default:
        m_fatal = true;
        m_lastError = std::string(call) + ": " + opensslError();
        return TlsStatus::Failed;
    }
}

TlsStatus TlsSession::handshake()
{
    beginCall();
    int result = SSL_do_handshake(m_ssl);
    return result == 1 ? TlsStatus::Ok : classify(result, "SSL_do_handshake()", TlsStatus::WantRead);
}

TlsIo TlsSession::read(void *data, size_t size)
{
    beginCall();
    size_t got = 0;
    int result = SSL_read_ex(m_ssl, data, size, &got);
    if (result == 1)
        return {got, TlsStatus::Ok};
    return {0, classify(result, "SSL_read()", TlsStatus::WantRead)};
}

TlsIo TlsSession::write(const void *data, size_t size)
{
    beginCall();
    size_t sent = 0;
    int result = SSL_write_ex(m_ssl, data, size, &sent);
    if (result == 1)
        return {sent, TlsStatus::Ok};
    return {0, classify(result, "SSL_write()", TlsStatus::WantWrite)};
}

// SSL_has_pending, not SSL_pending: with read-ahead, whole records may wait undecrypted in OpenSSL's
// buffer (e.g. a request that came with the client's Finished).
bool TlsSession::hasBuffered() const { return SSL_has_pending(m_ssl) == 1; }

void TlsSession::shutdown()
{
    beginCall();
    // Not after a fatal error (OpenSSL forbids it: the session's state is undefined), nor before the
    // handshake is done.
    if (!m_fatal && SSL_is_init_finished(m_ssl))
        SSL_shutdown(m_ssl); // one attempt: a close_notify that does not fit now is not worth waiting for
    ERR_clear_error();
}

TlsStatus TlsSession::updateKeys()
{
    beginCall();
    if (SSL_key_update(m_ssl, SSL_KEY_UPDATE_NOT_REQUESTED) != 1) {
        m_lastError = "SSL_key_update(): " + opensslError();
        return TlsStatus::Failed;
    }
    const int result = SSL_do_handshake(m_ssl); // sends it now, rather than with the next record
    return result == 1 ? TlsStatus::Ok : classify(result, "SSL_do_handshake()", TlsStatus::WantWrite);
}

std::string TlsSession::version() const { return SSL_get_version(m_ssl); }

std::string TlsSession::cipher() const
{
    const SSL_CIPHER *suite = SSL_get_current_cipher(m_ssl);
    return suite ? SSL_CIPHER_get_name(suite) : "";
}

} // namespace ferry::server::tls
