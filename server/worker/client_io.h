// Writing to a client socket from a worker. The socket is non-blocking: every wait is a poll() with the
// send timeout, in slices short enough to notice an abort request from the parent between them.
// A worker serves several connections from one loop, so anything that may take long (a wait for the
// client, a large body, a directory listing, a digest) first calls beginLongWork(): the worker then hands
// its other connections back to the parent instead of letting them wait behind this one.
// A connection that cannot leave its worker (TLS) cannot follow that path, so it never waits for its
// client's socket at all (nor does a plaintext one while its worker holds TLS connections, which could
// not be handed back and would wait behind it): what the socket does not take at once stays in the
// connection's own buffer ("unsent"), and the worker loop writes it when epoll says the socket takes
// data again and reads no further request of that connection meanwhile (docs/SECURITY.md, "Where TLS
// lives").
#pragma once

#include "base/duration.h"
#include "protocol/messages.h"
#include "worker/transport.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ferry::server {

enum class IoOutcome {
    Ok,
    Timeout, // the client accepted no byte for the send timeout
    Closed,  // the client went away (EPIPE, ECONNRESET)
    Aborted, // the parent asked to abort this connection
    Error,   // anything else; see ClientIo::lastError()
};
const char *ioOutcomeName(IoOutcome outcome);

class ClientIo;

// The rest of an answer that a connection which may not wait (TLS) makes a piece per turn of its
// worker's loop, once its socket has taken what went before: a LIST's further pages
// (worker/list_pages.h), a hash and the answer made from it (worker/hash_answer.h).
class AnswerRest {
public:
    virtual ~AnswerRest() = default;
    // Makes the answer's next piece: a frame sent with io.send(), or a bounded piece of the work behind
    // it, sending nothing. `done` once the answer is complete.
    virtual IoOutcome sendNext(ClientIo &io, bool &done) = 0;
    // 0: call again in the loop's next round. Else the monotonic time to call again at: the rest waits
    // for something other than its socket (another worker hashing the same file).
    virtual int64_t wakeNs() const { return 0; }
    // The work behind the answer, for the scoreboard and the stall watchdog: bytes done of how many,
    // and when it last moved. Nothing to show by default.
    struct Progress {
        uint64_t done = 0;
        uint64_t total = 0;
        int64_t lastNs = 0;
    };
    virtual std::optional<Progress> progress() const { return std::nullopt; }
    // Once complete: the result its audit line records if the request's is not it ("FILE_CHANGED"),
    // else null. A static string.
    virtual const char *result() const { return nullptr; }
};

class ClientIo {
public:
    // `fd` and `transport` (plaintext or TLS on that fd) are borrowed. `shouldAbort` is polled while
    // waiting and between chunks. `onLongWork` runs on every beginLongWork() (it may be empty). A
    // transport that cannot be handed back (TLS) makes the connection keep what it cannot send now.
    ClientIo(int fd, Transport &transport, Millis sendTimeout, std::function<bool()> shouldAbort,
             std::function<void()> onLongWork = {});

    int fd() const { return m_fd; }
    Transport &transport() { return m_transport; }
    // Sends every byte. `more`: MSG_MORE, i.e. more data follows at once (a BODY header before sendfile).
    // On a connection that keeps what it cannot send (TLS), Ok may leave bytes unsent (hasUnsent()):
    // they go out before anything sent later. Only when more than UnsentLimit bytes are unsent already
    // does a send wait (as plaintext does) until they are fewer: a client that never reads costs at most
    // that plus one answer frame, whatever it asked for.
    IoOutcome send(const uint8_t *data, size_t size, bool more = false);
    IoOutcome sendMessage(const proto::Message &message, bool more = false);
    // Holds a small message back to go out together with the next send(): one write and one TCP segment
    // for both. Whoever stops writing for now must flush().
    void queueMessage(const proto::Message &message);
    IoOutcome flush();
    // Every byte not yet on the wire, unsent then queued, for a sender that writes them itself ahead of
    // its own (worker/body_stream.h). It must write them from their start: the TLS record a blocked
    // write left behind is retried with the same bytes, as OpenSSL requires.
    std::vector<uint8_t> takePending();

    // Whether this connection keeps what the socket does not take rather than waiting: TLS always; a
    // plaintext one while its worker holds connections that must not wait behind it (setKeepsUnsent()).
    bool keepsUnsent() const { return m_keepsUnsent; }
    // Between requests (nothing unsent): whether the next answer keeps what the socket does not take
    // and is made in turns. A transport that cannot be handed back always does; this cannot undo that.
    void setKeepsUnsent(bool keeps) { m_keepsUnsent = keeps || !m_transport.canHandBack(); }
    // Whether an answer is still under way: bytes the socket did not take yet (only on a connection
    // that keeps them), or the rest of an answer still to make (setRest()).
    static constexpr size_t UnsentLimit = 64 * 1024; // about two LIST pages
    bool hasUnsent() const { return m_unsentBegin < m_unsent.size() || m_rest; }
    size_t unsentSize() const { return m_unsent.size() - m_unsentBegin; }
    // Hands over the rest of the answer under way, made by sendUnsent() a frame per call once the
    // socket has taken everything before it (only on a connection that keeps what it cannot send).
    void setRest(std::unique_ptr<AnswerRest> rest) { m_rest = std::move(rest); }
    // The rest under way, if any (to show its progress), and when it wants its next turn (0: the next
    // round, or once the socket takes what is kept).
    const AnswerRest *rest() const { return m_rest.get(); }
    int64_t restWakeNs() const { return m_rest ? m_rest->wakeNs() : 0; }
    // The result() of the last rest completed, once: null if it had none.
    const char *takeRestResult() { return std::exchange(m_restResult, nullptr); }
    // Writes what it can of the kept bytes now, never waiting, and then, if the socket took them all,
    // makes the next frame of the rest: Ok (check hasUnsent()), Timeout when the socket took no byte
    // for the send timeout, Aborted, Closed or Error.
    IoOutcome sendUnsent();
    // When sendUnsent() gives up if no byte moves before then (the send timeout from the last progress).
    int64_t unsentDeadlineNs() const { return m_lastProgressNs + int64_t(m_sendTimeout.count()) * 1'000'000; }
    Millis sendTimeout() const { return m_sendTimeout; }
    // When a byte last moved (or an answer started to wait).
    int64_t lastProgressNs() const { return m_lastProgressNs; }
    // Waits until the socket takes data, up to the send timeout counted from the last progress.
    IoOutcome waitWritable();
    // Records progress: the send timeout counts from the last byte that moved.
    void noteProgress();
    bool shouldAbort() const { return m_shouldAbort && m_shouldAbort(); }
    // Announces work that may keep this connection busy for long (see the file comment).
    void beginLongWork()
    {
        if (m_onLongWork)
            m_onLongWork();
    }
    const std::string &lastError() const { return m_lastError; }
    IoOutcome fail(const char *call, int error);

private:
    // The kept answer: its first bytes are written as long as some are left, at most until the socket
    // says EAGAIN. Ok or the failure; the buffer is freed once empty, so a quiet connection holds none.
    IoOutcome writeUnsent();
    // Keeps [data, data + size) after what is unsent, and writes what it can.
    IoOutcome keep(const uint8_t *data, size_t size);
    // The outcome of a send() that moved nothing and did not say EAGAIN.
    IoOutcome sendFailed(ssize_t sent);

    int m_fd;
    Transport &m_transport;
    Millis m_sendTimeout;
    std::function<bool()> m_shouldAbort;
    std::function<void()> m_onLongWork;
    int64_t m_lastProgressNs = 0;
    std::string m_lastError;
    std::vector<uint8_t> m_scratch;
    std::vector<uint8_t> m_queued;
    bool m_keepsUnsent;
    std::vector<uint8_t> m_unsent; // [m_unsentBegin, end) is still to go
    size_t m_unsentBegin = 0;
    std::unique_ptr<AnswerRest> m_rest;
    const char *m_restResult = nullptr;
};

} // namespace ferry::server
