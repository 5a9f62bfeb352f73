// A minimal blocking Ferry client for tests: plain POSIX sockets and the protocol
// codec, every wait bounded by a timeout, so a server that hangs shows up as a
// failed Outcome::Timeout instead of a stuck test.
//
// It reports precisely how a conversation ended (a frame, a clean EOF, a reset,
// silence), which is what the server's tests assert on. One TestClient is one
// connection; it is not thread-safe, but separate clients may live in separate
// threads (no event loop is needed).
//
//     TestClient client;
//     QVERIFY2(client.open(server.host(), server.port()).ok(), ...);
//     GetResult r = client.get("dir/file.bin");            // whole file in r.data
//     QCOMPARE(r.status.outcome, Outcome::Ok);
#pragma once

#include "protocol/codec.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

class QIODevice;

namespace ferrytest {

namespace proto = ferry::proto;

// The frames of `messages` back to back, as one write sends them (a pipelined client).
QByteArray encodeFrames(const std::vector<proto::Message> &messages);

// How a request ended.
enum class Outcome {
    Ok,       // the expected answer arrived (for get: BODY, every byte, and BODY_END)
    Error,    // the server answered with an ERROR frame (see Status::code)
    Busy,     // the server answered with BUSY (see Status::retryAfterMs)
    Closed,   // orderly EOF where a frame or body bytes were expected
    Reset,    // the connection was reset (ECONNRESET/EPIPE) where data was expected
    Timeout,  // nothing arrived within the client's timeout
    Protocol, // the server sent bytes that do not decode, or an unexpected message
    Failed,   // a local failure (connect refused, send failed, ...)
};
const char *outcomeName(Outcome outcome);

struct Status {
    Outcome outcome = Outcome::Failed;
    proto::ErrorCode code = proto::ErrorCode::Ok; // from ERROR, or BODY_END for get
    std::string message;                          // ERROR/BUSY/BODY_END text, or what went wrong
    uint32_t retryAfterMs = 0;                    // from BUSY
    static Status of(Outcome outcome, std::string message = {});
    bool ok() const { return outcome == Outcome::Ok; }
    bool is(proto::ErrorCode c) const { return outcome == Outcome::Error && code == c; }
    // "Error FORBIDDEN: path escapes the root" and the like, for test messages.
    QString toString() const;
};

struct GetResult {
    Status status;
    std::optional<proto::Body> body; // the BODY announcement, if one arrived
    uint64_t received = 0;           // raw body bytes received
    QByteArray data;                 // the bytes, when get() collected them
};

struct ListResult {
    Status status;
    std::vector<proto::Entry> entries;
    int pages = 0;
};

class TestClient
{
public:
    explicit TestClient(int timeoutMs = 30000);
    ~TestClient();
    TestClient(const TestClient &) = delete;
    TestClient &operator=(const TestClient &) = delete;

    void setTimeout(int timeoutMs) { m_timeoutMs = timeoutMs; }
    int timeout() const { return m_timeoutMs; }

    // The local IPv4 address connectTo() binds before connecting, e.g. "127.0.0.7" (loopback has them all),
    // so one test can be several clients; empty (the default) lets the kernel choose.
    void setSourceAddress(const QString &host) { m_source = host; }
    // TCP connect only (blocking, bounded by the timeout).
    Status connectTo(const QString &host, quint16 port);
    // HELLO -> WELCOME. Ok with welcome() filled in, or how it failed.
    Status hello(const std::string &agent = "ferry-tests/1", uint16_t version = proto::ProtocolVersion);
    // connectTo() then hello().
    Status open(const QString &host, quint16 port);
    const proto::Welcome &welcome() const { return m_welcome; }

    // LIST following every page until one says last.
    ListResult list(const std::string &path);
    Status stat(const std::string &path, proto::Entry *entry = nullptr);
    // MANIFEST (version 2): every MANIFEST_PAGE until one says last, appended to *pages; or the ERROR.
    Status manifest(const std::string &path, std::vector<proto::ManifestPage> *pages);
    // DIGEST of a range; the raw digest bytes in *digest.
    Status digest(const std::string &path, std::string *digest, uint64_t offset = 0,
                  uint64_t length = proto::ToEnd, proto::DigestAlgo algo = proto::DigestAlgo::Sha256);

    // Body bytes go to `sink` as they arrive; returning false aborts with Outcome::Failed.
    using Sink = std::function<bool(const char *data, size_t size)>;
    GetResult get(const std::string &path, uint64_t offset, uint64_t length, const Sink &sink);
    // Collects the body into GetResult::data (for small files).
    GetResult get(const std::string &path, uint64_t offset = 0, uint64_t length = proto::ToEnd);
    // Writes the body to `device` (e.g. an open QFile).
    GetResult getInto(const std::string &path, QIODevice *device, uint64_t offset = 0,
                      uint64_t length = proto::ToEnd);

    // --- low level ----------------------------------------------------------
    // Reads the answer to a GET sent earlier (e.g. pipelined with sendRaw()):
    // BODY, the raw bytes into `sink`, BODY_END; or the ERROR/BUSY instead.
    GetResult readGetReply(const Sink &sink);
    bool send(const proto::Message &message);
    bool sendRaw(const QByteArray &bytes);
    // Half-closes the sending side (the server sees EOF).
    void shutdownWrite();
    // Waits for the next frame. Ok with *out set, or Closed / Reset / Timeout / Protocol.
    Status readMessage(proto::Message *out);
    // Reads until the server closes. Frames that arrive before are appended to
    // `frames`. Closed on EOF, Reset on a reset, Timeout if still open.
    Status waitForClose(std::vector<proto::Message> *frames = nullptr, int timeoutMs = -1);
    // True if the server has neither closed nor sent anything (non-blocking peek).
    bool isOpenAndQuiet() const;

    // Every byte received so far on this connection, when recording is on (off by default).
    void setRecording(bool on) { m_recording = on; }
    const QByteArray &transcript() const { return m_transcript; }

    void close();
    bool isConnected() const { return m_fd >= 0; }
    int socketDescriptor() const { return m_fd; }
    quint16 localPort() const;

private:
    Status fill(int timeoutMs); // reads more bytes into the decoder
    Status endOfStream(ssize_t result, int error) const;
    Status answerToStatus(const proto::Message &message) const;
    Status readBody(uint64_t length, const Sink &sink, uint64_t *received);
    char *readBuffer();

    int m_fd = -1;
    int m_timeoutMs;
    QString m_source;
    proto::Decoder m_decoder;
    proto::Welcome m_welcome;
    bool m_recording = false;
    QByteArray m_transcript;
    std::vector<char> m_buffer;
};

} // namespace ferrytest
