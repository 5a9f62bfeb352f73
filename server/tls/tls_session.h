// One server-side TLS session on a non-blocking socket, driven by a worker's epoll loop. Every call
// returns at once: Ok, "want read"/"want write" (poll for that, then call again with the same
// arguments), Closed or Failed. The socket is borrowed; the session never closes it.
#pragma once

#include "tls/tls_context.h"

#include <cstddef>
#include <memory>
#include <string>

typedef struct ssl_st SSL;

namespace ferry::server::tls {

enum class TlsStatus {
    Ok,
    WantRead,  // wait until the socket is readable
    WantWrite, // wait until the socket is writable
    Closed,    // the peer closed (close_notify, EOF or reset)
    Failed,    // protocol error; lastError() says what
};

struct TlsIo {
    size_t bytes = 0;
    TlsStatus status = TlsStatus::Ok;
};

class TlsSession {
public:
    // Null (and `error` set) if OpenSSL cannot make the session.
    static std::unique_ptr<TlsSession> accept(const TlsContext &context, int fd, std::string &error);
    ~TlsSession();
    TlsSession(const TlsSession &) = delete;
    TlsSession &operator=(const TlsSession &) = delete;

    // One step of the handshake: Ok once it is complete.
    TlsStatus handshake();
    // At most `size` bytes of plaintext (one record's worth at most).
    TlsIo read(void *data, size_t size);
    // Plaintext out, in records of up to 16 KiB; bytes > 0 with Ok may be fewer than `size`.
    TlsIo write(const void *data, size_t size);
    // Decrypted bytes held inside OpenSSL that epoll cannot see.
    bool hasBuffered() const;
    // Sends close_notify if the socket takes it now; never waits.
    void shutdown();
    // Sends a TLS 1.3 KeyUpdate that asks nothing of the peer (which takes it without answering),
    // between two writes: none may be left half done. WantWrite: it goes out ahead of the next write.
    TlsStatus updateKeys();

    // "TLSv1.3" and the suite, e.g. "TLS_AES_128_GCM_SHA256" (after the handshake).
    std::string version() const;
    std::string cipher() const;
    const std::string &lastError() const { return m_lastError; }

private:
    explicit TlsSession(SSL *ssl) : m_ssl(ssl) {}
    // Before each SSL_* call: an empty error queue and errno 0.
    void beginCall();
    // What SSL_get_error() says of `result`; `wouldBlock` is the direction to wait in when OpenSSL
    // reports a would-block as SSL_ERROR_SYSCALL with EAGAIN.
    TlsStatus classify(int result, const char *call, TlsStatus wouldBlock);

    SSL *m_ssl;
    std::string m_lastError;
    bool m_fatal = false; // SSL_ERROR_SSL or SSL_ERROR_SYSCALL seen: no I/O may follow
};

} // namespace ferry::server::tls
