// ferry-bench's TLS 1.3 side (--tls): one client context for the run and one session per connection,
// on the loop's non-blocking sockets. Like wrk it does not verify the server's certificate: it measures
// the server, not the trust decision (ferry-get pins; bench/compare's (a) TLS row uses it).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <sys/types.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace ferry::bench {

struct SslFree {
    void operator()(SSL *ssl) const;
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

class TlsClient {
public:
    // Throws std::runtime_error if OpenSSL cannot make the context.
    TlsClient();
    ~TlsClient();
    TlsClient(const TlsClient &) = delete;
    TlsClient &operator=(const TlsClient &) = delete;

    // A new client session on `fd` (borrowed); null on failure. Every connection makes a full handshake.
    // (Reusing the previous connection's object with SSL_clear, as wrk does, was measured: no cheaper.)
    SslPtr connect(int fd) const;

private:
    SSL_CTX *m_context;
};

enum class TlsStep { Done, Again, Failed };
// One step of the handshake.
TlsStep handshake(SSL *ssl);
// Like send()/recv(): bytes, 0 at the peer's close (read), -1 with errno EAGAIN (wait for an edge) or
// EPROTO/EPIPE.
ssize_t tlsWrite(SSL *ssl, const void *data, size_t size);
ssize_t tlsRead(SSL *ssl, void *data, size_t size);
// What a completed handshake agreed on: "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519".
std::string negotiated(SSL *ssl);
// Whether it resumed an earlier session instead of a full handshake (never, against a fair server).
bool resumed(SSL *ssl);

} // namespace ferry::bench
