// A bare TLS 1.3 Ferry client on a blocking socket, with OpenSSL directly: the tests decide exactly when
// it reads (or that it never does), which a QSslSocket on the event loop does not allow. It verifies
// nothing about the server's certificate: trust is tested with the engine's real client elsewhere.
#pragma once

#include "protocol/codec.h"

#include <QCryptographicHash>
#include <QString>

#include <chrono>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_session_st SSL_SESSION;

namespace tlstest {

namespace proto = ferry::proto;

class TlsRawClient
{
public:
    // `receiveBuffer` > 0 sets SO_RCVBUF before connecting: a client that stops reading then fills its
    // side quickly, and the server finds its socket full after a few hundred KiB.
    explicit TlsRawClient(int timeoutMs = 10000, int receiveBuffer = 0);
    ~TlsRawClient();
    TlsRawClient(const TlsRawClient &) = delete;
    TlsRawClient &operator=(const TlsRawClient &) = delete;

    // The version open()'s HELLO names (1 unless set).
    void setProtocolVersion(uint16_t version) { m_version = version; }
    // TCP connect, TLS handshake, HELLO and WELCOME. False with *why set on failure.
    bool open(const QString &host, quint16 port, QString *why);
    bool send(const proto::Message &message);
    // Each message in its own TLS record, all the records in one write(): they reach the server
    // together, so it reads them with one read() (its read-ahead) and must serve them all from there.
    bool sendInOneWrite(const std::vector<proto::Message> &messages);
    // The next frame, or false with *why set (timeout, close, bytes that do not decode).
    bool read(proto::Message *message, QString *why);
    // The TCP port of this end (0 before open()).
    quint16 localPort() const;
    // Whether any of an answer has arrived and not been read yet, without waiting.
    bool hasIncoming() const;
    // A whole GET answer: BODY, its bytes (counted), BODY_END Ok. The byte count in *received; the
    // bytes themselves go into `digest` if one is given.
    bool readBody(uint64_t *received, QString *why, QCryptographicHash *digest = nullptr);
    // A slow reader: from now on each read of at most 16 KiB waits `pause` first, so the server's
    // socket to this client fills and drains again and again while a body is under way.
    void setReadPause(std::chrono::microseconds pause) { m_readPause = pause; }
    // Shuts down this end's sending side (a half-close, PROTOCOL.md §3.4): with `closeNotify`, TLS's
    // close_notify first, then TCP's FIN; without it, the FIN alone. Reading goes on.
    bool halfClose(bool closeNotify);
    // Reads until the connection ends. True if it ended with the server's close_notify (a clean TLS
    // close), false with *why saying how it ended otherwise (a bare close, a reset, a timeout, a frame).
    bool awaitCloseNotify(QString *why);

    // Session resumption as the client sees it (docs/SECURITY.md, "Sessions are not resumed").
    // Before open(): offer the session `earlier` made, as a resuming client would.
    void offerSessionOf(const TlsRawClient &earlier);
    // After open(): whether the server sent a ticket this session could be resumed with, whether this
    // handshake resumed an offered session, and the DER of the server's certificate.
    bool holdsTicket() const;
    bool resumed() const;
    QByteArray peerCertificate() const;

private:
    bool fill(QString *why);

    int m_timeoutMs;
    int m_receiveBuffer;
    uint16_t m_version = proto::ProtocolVersion;
    int m_fd = -1;
    SSL_CTX *m_context = nullptr;
    SSL *m_ssl = nullptr;
    SSL_SESSION *m_offered = nullptr;
    proto::Decoder m_decoder;
    bool m_closeNotify = false; // the last read ended with the server's close_notify
    std::chrono::microseconds m_readPause{0};
};

} // namespace tlstest
