// A TLS 1.3 Ferry client, OpenSSL directly, whose first flight the test shapes: OpenSSL writes into
// memory, and the test decides how those bytes reach the socket (all at once, or a byte per write()),
// so the server's parent meets a ClientHello larger than its peek, or one that trickles in. Offered
// ALPN names (which the server ignores) make the ClientHello as large as a test needs. It verifies
// nothing about the server's certificate: trust is tested with the engine's real client elsewhere.
#pragma once

#include "protocol/codec.h"

#include <QByteArray>
#include <QString>

#include <chrono>
#include <cstdint>
#include <string>

typedef struct bio_st BIO;
typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace tlstest {

class ShapedTlsClient
{
public:
    explicit ShapedTlsClient(int timeoutMs = 10000);
    ~ShapedTlsClient();
    ShapedTlsClient(const ShapedTlsClient &) = delete;
    ShapedTlsClient &operator=(const ShapedTlsClient &) = delete;

    // Before handshake(): ALPN names of 255 bytes offered until the list holds at least `bytes`.
    void padClientHelloWithAlpn(int bytes) { m_alpnBytes = bytes; }
    // Before handshake(): each byte of the ClientHello in its own write(), `pause` apart (pacing a slow
    // client on purpose). The rest of the connection goes out as OpenSSL writes it.
    void trickleClientHello(std::chrono::microseconds pause) { m_trickle = pause; }

    // TCP connect to 127.0.0.1:`port` (TCP_NODELAY: a byte per write() is a segment), then the whole
    // handshake, HELLO and WELCOME. False with *why set on failure.
    bool open(quint16 port, QString *why);
    // The ClientHello as sent: every byte of the first flight.
    const QByteArray &clientHello() const { return m_clientHello; }

    bool send(const ferry::proto::Message &message, QString *why);
    // The next frame, or false with *why set (timeout, close, bytes that do not decode).
    bool read(ferry::proto::Message *message, QString *why);
    // A whole GET answer: BODY, its bytes, BODY_END Ok.
    bool readBody(QByteArray *bytes, QString *why);

private:
    bool handshake(QString *why);
    // What OpenSSL wrote, to the socket (the first flight trickled if asked).
    bool flush(QString *why);
    // Waits up to the timeout for bytes from the server and hands them to OpenSSL.
    bool pull(QString *why);
    // More plaintext into the decoder.
    bool fill(QString *why);

    int m_timeoutMs;
    int m_alpnBytes = 0;
    std::chrono::microseconds m_trickle{0};
    int m_fd = -1;
    SSL_CTX *m_context = nullptr;
    SSL *m_ssl = nullptr;
    BIO *m_toServer = nullptr;   // owned by m_ssl
    BIO *m_fromServer = nullptr; // owned by m_ssl
    QByteArray m_clientHello;
    ferry::proto::Decoder m_decoder;
};

} // namespace tlstest
