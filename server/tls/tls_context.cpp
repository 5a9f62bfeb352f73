#include "tls/tls_context.h"

#include "base/config_error.h"
#include "tls/certificate.h"
#include "tls/warm_up.h"

#include <openssl/ssl.h>

namespace ferry::server::tls {

namespace {

// TLS 1.3's AEAD suites, AES-GCM first: with AES-NI it is the fastest here (docs/PERFORMANCE.md);
// ChaCha20 for clients without AES hardware.
constexpr char CipherSuites[] = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

} // namespace

TlsContext::TlsContext(const Identity &identity) : m_identity(identity)
{
    m_context = SSL_CTX_new(TLS_server_method());
    if (!m_context)
        throw ConfigError("SSL_CTX_new(): " + opensslError());
    SSL_CTX *c = m_context;
    bool ok = SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) == 1
              && SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) == 1
              && SSL_CTX_set_ciphersuites(c, CipherSuites) == 1;
    if (!ok) {
        SSL_CTX_free(c);
        throw ConfigError("configuring TLS 1.3: " + opensslError());
    }
    // A client's bare FIN (no close_notify) reads as its close_notify would: a half-close whose answers
    // are still owed (PROTOCOL.md §3.4), after which the server sends its own close_notify, rather than a
    // fatal "unexpected EOF" that leaves the session unable to say goodbye. Ferry's requests are framed,
    // so a request cut short by the end of the stream is never served: nothing can be truncated.
    SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION
                               | SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Released buffers: an idle connection keeps no 2 x 16 KiB of record buffers (memory per idle TLS
    // connection, docs/PERFORMANCE.md). A moving write buffer: ClientIo may retry a write from a new copy.
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
    // Read ahead: a record's header and body, and records that arrived together (the client's
    // Finished with its first request), in one read() instead of two per record. What it reads
    // beyond a record is seen by TlsSession::hasBuffered() (SSL_has_pending), not by epoll.
    SSL_CTX_set_read_ahead(c, 1);
    // No resumption: no session tickets and no session cache. Ferry's clients never resume (each
    // QSslSocket starts from a fresh configuration), so a ticket was an encryption, a write and
    // 239 bytes per connection for nothing; without one every connection shows the certificate
    // (docs/SECURITY.md, "Sessions are not resumed").
    SSL_CTX_set_num_tickets(c, 0);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_default_passwd_cb(c, noPassphrase); // never a prompt on the terminal (identity_files.h)
    if (SSL_CTX_use_certificate_chain_file(c, identity.certFile.c_str()) != 1) {
        std::string why = opensslError();
        SSL_CTX_free(c);
        throw ConfigError("loading the certificate " + identity.certFile + ": " + why);
    }
    if (SSL_CTX_use_PrivateKey_file(c, identity.keyFile.c_str(), SSL_FILETYPE_PEM) != 1
        || SSL_CTX_check_private_key(c) != 1) {
        std::string why = opensslError();
        SSL_CTX_free(c);
        throw ConfigError("loading the key " + identity.keyFile + ": " + why);
    }
    if (std::string why = warmUp(c); !why.empty()) {
        SSL_CTX_free(c);
        throw ConfigError("a TLS handshake in memory with " + identity.certFile + ": " + why);
    }
}

TlsContext::~TlsContext() { SSL_CTX_free(m_context); }

} // namespace ferry::server::tls
