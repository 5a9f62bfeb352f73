// One TCP connection speaking Ferry (version 2, or 1 with a server that speaks only that):
// handshake, framed messages, raw body bytes.
// Internal to the engine: Session and DownloadJob each own one. Its files: connection.cpp (opening,
// timers, failing), connectiontls.cpp, connectionframes.cpp, connectionhandshake.cpp.
#pragma once

#include "clienttypes.h"
#include "ratelimiter.h"

#include "protocol/codec.h"

#include <QObject>
#include <QString>
#include <QTimer>

#include <functional>
#include <span>
#include <string_view>
#include <vector>

class QTcpSocket;

namespace ferry::client {

class TlsGuard;

class Connection : public QObject
{
    Q_OBJECT
public:
    enum class State { Closed, Connecting, Handshaking, Ready };

    // Raw body bytes, straight from the socket in blocks of up to ReadBlockSize.
    // Return false to stop reading (e.g. the disk failed); the owner then aborts.
    using BodySink = std::function<bool(const char *data, qint64 size)>;
    // How many body bytes may be read now (a speed limit, see ReadBudget); not reading
    // lets TCP flow control slow the sender down. None and ReadBudget::UntilResumed: reading
    // waits, without a timer, for resumeReading().
    using BodyPacer = std::function<ReadBudget(qint64 wanted)>;
    // Where to read the next body bytes (at most `wanted`) instead of the connection's own
    // block, so that a sink which keeps them (a verified download's hashing ring) takes them
    // without a copy; an empty span: the own block. The sink is called right after the read.
    using BodyBuffer = std::function<std::span<char>(qint64 wanted)>;

    // Big enough that syscalls are few, small enough to be a rounding error in RSS.
    static constexpr qint64 ReadBlockSize = 1 << 20;
    // No byte for this long while a reply is due: the connection is considered dead.
    static constexpr int DefaultStallTimeoutMs = 30000;
    // From open() to the TCP connection and, over TLS, the end of the handshake: a port that accepts
    // and then stays silent to a ClientHello is given up on after this long.
    static constexpr int DefaultConnectTimeoutMs = 15000;

    explicit Connection(QObject *parent = nullptr);
    ~Connection() override;

    void open(const QString &host, quint16 port);
    void send(const proto::Message &message);
    // Drops the connection at once; no signal follows.
    void abort();
    State state() const { return m_state; }
    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    QString serverAgent() const { return m_serverAgent; }
    // The value of a capability the server's WELCOME offered (PROTOCOL.md §10.1), or a null
    // QString when it did not offer it (a version 1 server offers none). Valid once ready().
    QString capability(std::string_view name) const;
    // What the server granted the token this connection sent (ServerTokens), once ready(); empty
    // (tokenId "") when it sent none.
    const proto::AuthReply &grant() const { return m_grant; }
    void setBodySink(BodySink sink) { m_bodySink = std::move(sink); }
    void setBodyPacer(BodyPacer pacer) { m_bodyPacer = std::move(pacer); }
    void setBodyBuffer(BodyBuffer buffer) { m_bodyBuffer = std::move(buffer); }
    void setStallTimeout(int ms) { m_stallTimeoutMs = ms; }
    // Takes effect at the next open().
    void setConnectTimeout(int ms) { m_connectTimeoutMs = ms; }
    // Whether a reply is awaited (arms the stall timer); an idle connection may sit quietly.
    void setExpectingReply(bool expecting);
    // The pacer that answered UntilResumed lets reading go on (in a later turn of the event loop).
    // Does nothing when reading is not waiting for it.
    void resumeReading();

signals:
    void ready();
    void messageReceived(const ferry::proto::Message &message);
    // The connection is gone or unusable; `retryAfterMs` is set for ServerBusy.
    void failed(ferry::client::ErrorKind kind, const QString &reason, int retryAfterMs);

private:
    void onConnected();
    void onReadyRead();
    void readInLaterTurn();
    void onSocketError();
    TlsGuard *openTlsSocket();
    void askWhetherFerry();
    // The TLS handshake met the server's plaintext BUSY (a refusal for load, sent before any TLS).
    bool isTurnedAwayBeforeTls() const;
    bool readBody();
    bool readFrames();
    bool dispatch(proto::DecodeResult &result);
    bool handleHandshake(const proto::Message &message);
    bool handleAuthAnswer(const proto::Message &message);
    bool becomeReady();
    bool fallBackToVersion1();
    void fail(ErrorKind kind, const QString &reason, int retryAfterMs = 0);
    void touch();
    void onStalled();

    QTcpSocket *m_socket = nullptr;
    proto::AuthReply m_grant;
    bool m_authPending = false; // AUTH sent, its answer not yet in
    proto::Decoder m_decoder;
    std::vector<char> m_block;
    BodySink m_bodySink;
    BodyPacer m_bodyPacer;
    BodyBuffer m_bodyBuffer;
    QTimer m_paceTimer; // reading resumes when the budget allows
    bool m_waitingForResume = false; // the pacer answered UntilResumed: resumeReading() goes on
    State m_state = State::Closed;
    QString m_host;
    quint16 m_port = 0;
    QString m_serverAgent;
    std::vector<proto::Capability> m_capabilities;
    uint16_t m_helloVersion = proto::HighestVersion;
    QTimer m_stallTimer;
    // In plaintext, a peer that accepted the connection but has sent nothing FerryProbe::TimeoutMs after
    // HELLO does not speak Ferry (an HTTP server waits for the end of a request line): the parent of a
    // Ferry server answers HELLO at once, a busy one with BUSY before reading it. Once a byte came, the
    // stall timeout applies. (Over TLS the handshake's failure leads to a FerryProbe instead.)
    QTimer m_helloTimer;
    int m_stallTimeoutMs = DefaultStallTimeoutMs;
    int m_connectTimeoutMs = DefaultConnectTimeoutMs;
    bool m_expectingReply = false;
    quint64 m_generation = 0; // bumped by abort(): stale callbacks see a new value
};

} // namespace ferry::client
