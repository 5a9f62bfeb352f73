// Writing to a client socket from a worker. The socket is non-blocking: every wait is a poll() with the
// send timeout, in slices short enough to notice an abort request from the parent between them.
// A worker serves several connections from one loop, so anything that may take long (a wait for the
// client, a large body, a directory listing, a digest) first calls beginLongWork(): the worker then hands
// its other connections back to the parent instead of letting them wait behind this one.
#pragma once

#include "base/duration.h"
#include "protocol/messages.h"
#include "worker/transport.h"

#include <cstddef>
#include <cstdint>
#include <functional>
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

class ClientIo {
public:
    // `fd` and `transport` (plaintext or TLS on that fd) are borrowed. `shouldAbort` is polled while
    // waiting and between chunks. `onLongWork` runs on every beginLongWork() (it may be empty).
    ClientIo(int fd, Transport &transport, Millis sendTimeout, std::function<bool()> shouldAbort,
             std::function<void()> onLongWork = {});

    int fd() const { return m_fd; }
    Transport &transport() { return m_transport; }
    // Sends every byte. `more`: MSG_MORE, i.e. more data follows at once (a BODY header before sendfile).
    IoOutcome send(const uint8_t *data, size_t size, bool more = false);
    IoOutcome sendMessage(const proto::Message &message, bool more = false);
    // Holds a small message back to go out together with the next send(): one write and one TCP segment
    // for both. Whoever stops writing for now must flush().
    void queueMessage(const proto::Message &message);
    IoOutcome flush();
    // The queued bytes, for a sender that writes them itself ahead of its own (worker/body_stream.h).
    std::vector<uint8_t> takeQueued() { return std::exchange(m_queued, {}); }
    Millis sendTimeout() const { return m_sendTimeout; }
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
    int m_fd;
    Transport &m_transport;
    Millis m_sendTimeout;
    std::function<bool()> m_shouldAbort;
    std::function<void()> m_onLongWork;
    int64_t m_lastProgressNs = 0;
    std::string m_lastError;
    std::vector<uint8_t> m_scratch;
    std::vector<uint8_t> m_queued;
};

} // namespace ferry::server
