#include "tls/warm_up.h"

#include "tls/certificate.h"

#include <memory>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace ferry::server::tls {

namespace {

struct SslFree {
    void operator()(SSL *ssl) const { SSL_free(ssl); }
    void operator()(SSL_CTX *context) const { SSL_CTX_free(context); }
};
using Ssl = std::unique_ptr<SSL, SslFree>;
using SslContext = std::unique_ptr<SSL_CTX, SslFree>;

// A handshake in memory takes a few rounds; far more means something loops.
constexpr int MaxRounds = 16;

bool stepFailed(SSL *ssl, int result)
{
    int error = SSL_get_error(ssl, result);
    return error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE;
}

// Drives both ends until the handshake is done and one byte has gone each way (so the record layer's
// ciphers are set up too).
std::string converse(SSL *client, SSL *server)
{
    bool clientDone = false, serverDone = false;
    for (int round = 0; round < MaxRounds && !(clientDone && serverDone); ++round) {
        int c = clientDone ? 1 : SSL_do_handshake(client);
        if (c != 1 && stepFailed(client, c))
            return "the client's handshake: " + opensslError();
        clientDone = c == 1;
        int s = serverDone ? 1 : SSL_do_handshake(server);
        if (s != 1 && stepFailed(server, s))
            return "the server's handshake: " + opensslError();
        serverDone = s == 1;
    }
    if (!(clientDone && serverDone))
        return "the handshake did not finish";
    unsigned char byte = 0;
    size_t moved = 0;
    if (SSL_write_ex(client, "x", 1, &moved) != 1 || SSL_read_ex(server, &byte, 1, &moved) != 1
        || SSL_write_ex(server, "y", 1, &moved) != 1 || SSL_read_ex(client, &byte, 1, &moved) != 1)
        return "a record each way: " + opensslError();
    return {};
}

} // namespace

std::string warmUp(SSL_CTX *server)
{
    ERR_clear_error();
    SslContext clientContext(SSL_CTX_new(TLS_client_method()));
    if (!clientContext || SSL_CTX_set_min_proto_version(clientContext.get(), TLS1_3_VERSION) != 1)
        return "SSL_CTX_new() for the client: " + opensslError();
    SSL_CTX_set_verify(clientContext.get(), SSL_VERIFY_NONE, nullptr); // it talks to `server` only
    Ssl client(SSL_new(clientContext.get())), serverEnd(SSL_new(server));
    BIO *clientBio = nullptr, *serverBio = nullptr;
    if (!client || !serverEnd || BIO_new_bio_pair(&clientBio, 0, &serverBio, 0) != 1)
        return "SSL_new(): " + opensslError();
    SSL_set_bio(client.get(), clientBio, clientBio); // each SSL now owns its end
    SSL_set_bio(serverEnd.get(), serverBio, serverBio);
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(serverEnd.get());
    std::string error = converse(client.get(), serverEnd.get());
    ERR_clear_error();
    return error;
}

} // namespace ferry::server::tls
