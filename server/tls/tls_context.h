// The server's TLS configuration (one OpenSSL SSL_CTX): TLS 1.3 only, the three TLS 1.3 AEAD suites,
// the identity's certificate and key, no session resumption. Made in the parent before the workers are
// forked, so every worker inherits it (warmed up by one handshake in memory: tls/warm_up.h). A reload
// makes a new one for the new generation of workers.
#pragma once

#include "tls/identity.h"

#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace ferry::server::tls {

class TlsContext {
public:
    // Throws ConfigError naming the file or the OpenSSL call that failed (start-up and reload only).
    explicit TlsContext(const Identity &identity);
    ~TlsContext();
    TlsContext(const TlsContext &) = delete;
    TlsContext &operator=(const TlsContext &) = delete;

    SSL_CTX *get() const { return m_context; }
    const Identity &identity() const { return m_identity; }

private:
    SSL_CTX *m_context = nullptr;
    Identity m_identity;
};

} // namespace ferry::server::tls
