#include "worker/client_io.h"

#include "protocol/codec.h"
#include "ipc/scoreboard.h"
#include "base/syscall.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

namespace ferry::server {

const char *ioOutcomeName(IoOutcome outcome)
{
    switch (outcome) {
    case IoOutcome::Ok: return "ok";
    case IoOutcome::Timeout: return "send timeout";
    case IoOutcome::Closed: return "client closed";
    case IoOutcome::Aborted: return "aborted";
    case IoOutcome::Error: return "error";
    }
    return "?";
}

ClientIo::ClientIo(int fd, Transport &transport, Millis sendTimeout, std::function<bool()> shouldAbort,
                   std::function<void()> onLongWork)
    : m_fd(fd), m_transport(transport), m_sendTimeout(sendTimeout), m_shouldAbort(std::move(shouldAbort)),
      m_onLongWork(std::move(onLongWork)),
      m_lastProgressNs(monotonicNs()), m_keepsUnsent(!transport.canHandBack())
{
}

void ClientIo::noteProgress() { m_lastProgressNs = monotonicNs(); }

IoOutcome ClientIo::fail(const char *call, int error)
{
    if (error == EPIPE || error == ECONNRESET)
        return IoOutcome::Closed;
    m_lastError = std::string(call) + ": " + std::strerror(error);
    return IoOutcome::Error;
}

IoOutcome ClientIo::waitWritable()
{
    // Slices of at most 250 ms so an abort request is noticed promptly even while the client stalls.
    constexpr int64_t SliceNs = 250'000'000;
    beginLongWork(); // a client that does not read must not hold up the worker's other connections
    for (;;) {
        if (shouldAbort())
            return IoOutcome::Aborted;
        int64_t left = m_lastProgressNs + int64_t(m_sendTimeout.count()) * 1000000 - monotonicNs();
        if (left <= 0)
            return IoOutcome::Timeout;
        const short wanted = m_transport.waitEvents(); // POLLIN when a TLS write must read a record first
        pollfd p{m_fd, wanted, 0};
        const int rc = retryOnEintr([&] { return poll(&p, 1, int((std::min(left, SliceNs) + 999999) / 1000000)); });
        if (rc < 0)
            return fail("poll()", errno);
        if (rc > 0) {
            if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
                return (p.revents & wanted) ? IoOutcome::Ok : IoOutcome::Closed;
            return IoOutcome::Ok;
        }
    }
}

void ClientIo::queueMessage(const proto::Message &message) { proto::encode(message, m_queued); }

IoOutcome ClientIo::flush() { return m_queued.empty() ? IoOutcome::Ok : send(nullptr, 0); }

IoOutcome ClientIo::send(const uint8_t *data, size_t size, bool more)
{
    if (!m_queued.empty()) { // a copy, but only of a small answer, once per connection
        std::vector<uint8_t> joined = std::move(m_queued);
        m_queued.clear();
        joined.insert(joined.end(), data, data + size);
        return send(joined.data(), joined.size(), more);
    }
    if (m_keepsUnsent)
        return keep(data, size);
    while (size > 0) {
        const ssize_t sent = retryOnEintr([&] { return m_transport.send(data, size, more); });
        if (sent > 0) {
            data += sent;
            size -= size_t(sent);
            noteProgress();
            continue;
        }
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (IoOutcome waited = waitWritable(); waited != IoOutcome::Ok)
                return waited;
            continue;
        }
        return sendFailed(sent);
    }
    return IoOutcome::Ok;
}

IoOutcome ClientIo::sendFailed(ssize_t sent)
{
    if (sent < 0 && errno == EPROTO)
        return fail(m_transport.lastError().c_str(), EPROTO);
    return fail("send()", sent < 0 ? errno : EPIPE);
}

IoOutcome ClientIo::keep(const uint8_t *data, size_t size)
{
    // Past the limit (the pages of one long answer), this answer waits as a plaintext one does.
    while (unsentSize() > UnsentLimit) {
        if (IoOutcome written = writeUnsent(); written != IoOutcome::Ok)
            return written;
        if (unsentSize() <= UnsentLimit)
            break;
        if (IoOutcome waited = waitWritable(); waited != IoOutcome::Ok)
            return waited;
    }
    if (unsentSize() == 0) { // the common case: the socket takes it all, and nothing is copied
        while (size > 0) {
            const ssize_t sent = retryOnEintr([&] { return m_transport.send(data, size, false); });
            if (sent > 0) {
                data += sent;
                size -= size_t(sent);
                noteProgress();
                continue;
            }
            if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            return sendFailed(sent);
        }
        if (size == 0)
            return IoOutcome::Ok;
        // The send timeout counts from now, when this answer starts to wait, not from the last answer
        // that went (the socket may have been full since, with nothing to send).
        noteProgress();
    }
    if (m_unsentBegin > 0) { // the record a blocked write left keeps its bytes first: moving them is allowed
        m_unsent.erase(m_unsent.begin(), m_unsent.begin() + ptrdiff_t(m_unsentBegin));
        m_unsentBegin = 0;
    }
    m_unsent.insert(m_unsent.end(), data, data + size);
    return writeUnsent();
}

IoOutcome ClientIo::writeUnsent()
{
    // SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER (tls_context.cpp): a blocked record is retried from the same
    // bytes, which stay first here, even when the buffer has grown or moved since.
    while (unsentSize() > 0) {
        const ssize_t sent =
            retryOnEintr([&] { return m_transport.send(m_unsent.data() + m_unsentBegin, unsentSize(), false); });
        if (sent > 0) {
            m_unsentBegin += size_t(sent);
            noteProgress();
            continue;
        }
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return IoOutcome::Ok;
        return sendFailed(sent);
    }
    m_unsent = {}; // freed: an idle connection holds no buffer
    m_unsentBegin = 0;
    return IoOutcome::Ok;
}

IoOutcome ClientIo::sendUnsent()
{
    if (shouldAbort())
        return IoOutcome::Aborted;
    if (IoOutcome written = writeUnsent(); written != IoOutcome::Ok)
        return written;
    if (m_rest && unsentSize() == 0) { // one frame per call: the worker's other connections get their turn
        bool done = false;
        const IoOutcome made = m_rest->sendNext(*this, done); // what the socket does not take is kept
        if (done)
            m_restResult = m_rest->result();
        if (done || made != IoOutcome::Ok)
            m_rest.reset();
        if (made != IoOutcome::Ok)
            return made;
    }
    if (unsentSize() > 0 && monotonicNs() >= unsentDeadlineNs())
        return IoOutcome::Timeout;
    return IoOutcome::Ok;
}

std::vector<uint8_t> ClientIo::takePending()
{
    if (unsentSize() == 0)
        return std::exchange(m_queued, {});
    std::vector<uint8_t> pending(m_unsent.begin() + ptrdiff_t(m_unsentBegin), m_unsent.end());
    pending.insert(pending.end(), m_queued.begin(), m_queued.end());
    m_unsent = {};
    m_unsentBegin = 0;
    m_queued = {};
    return pending;
}

IoOutcome ClientIo::sendMessage(const proto::Message &message, bool more)
{
    m_scratch.clear();
    proto::encode(message, m_scratch);
    return send(m_scratch.data(), m_scratch.size(), more);
}

} // namespace ferry::server
