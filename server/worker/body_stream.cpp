#include "worker/body_stream.h"

#include "base/syscall.h"
#include "protocol/codec.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <poll.h>

namespace ferry::server {

namespace {

// The zeros a shrunken file is padded with: one TLS record's worth per write.
constexpr size_t PadWrite = 16 * 1024;
const uint8_t Zeros[PadWrite] = {};

} // namespace

BodyStream::BodyStream(Transport &transport, UniqueFd file, const TransferPlan &plan, std::string path,
                       ControlBlock &control, WorkerSlot &slot, Millis sendTimeout, std::vector<uint8_t> lead)
    : m_transport(transport), m_file(std::move(file)), m_plan(plan), m_path(std::move(path)), m_control(control),
      m_slot(slot), m_pacer(control, plan.token, plan.address),
      m_sendTimeoutNs(int64_t(sendTimeout.count()) * 1'000'000),
      m_frame(std::move(lead)), m_position(off_t(plan.offset)), m_startNs(monotonicNs()),
      m_lastProgressNs(m_startNs)
{
    proto::encode(proto::Body{plan.offset, plan.length, uint64_t(plan.info.st_size), mtimeNs(plan.info)}, m_frame);
    m_control.activeSenders.fetch_add(1, std::memory_order_relaxed);
}

BodyStream::~BodyStream()
{
    m_pacer.settle(0); // a turn reserved on the global schedule and not used goes back to the others
    m_quota.setSent(m_sent);
    m_quota.settle();
    m_control.activeSenders.fetch_sub(1, std::memory_order_relaxed);
    m_transport.endBody();
}

StreamState BodyStream::resume()
{
    m_paced = false;
    m_tookAll = false;
    for (;;) {
        const int64_t now = monotonicNs();
        switch (m_phase) {
        case Phase::Lead:
        case Phase::Trailer:
            switch (sendFrame()) {
            case Step::Blocked: return waitForSocket(now);
            case Step::Failed: return StreamState::Failed;
            case Step::Moved:
            case Step::Done: break;
            }
            m_phase = m_phase == Phase::Lead ? Phase::Bytes : Phase::Over;
            continue;
        case Phase::Bytes:
        case Phase::Padding:
            if (m_sent >= m_plan.length) {
                endBytes();
                continue;
            }
            switch (sendChunk(now)) {
            case Step::Moved:
                if (m_sent < m_plan.length) { // one chunk per turn: the worker's other connections get theirs
                    m_wakeNs = m_lastProgressNs + m_sendTimeoutNs;
                    m_wantsRead = false;
                    return StreamState::Writing;
                }
                continue;
            case Step::Blocked: return m_paced ? StreamState::Paced : waitForSocket(now);
            case Step::Failed: return StreamState::Failed;
            case Step::Done: continue;
            }
            continue;
        case Phase::Over: return m_changed ? StreamState::FileChanged : StreamState::Complete;
        }
    }
}

BodyStream::Step BodyStream::sendFrame()
{
    // BODY goes with MSG_MORE on plaintext: the first file bytes follow at once.
    const bool more = m_phase == Phase::Lead && m_plan.length > 0;
    while (m_frameSent < m_frame.size()) {
        const ssize_t sent = retryOnEintr(
            [&] { return m_transport.send(m_frame.data() + m_frameSent, m_frame.size() - m_frameSent, more); });
        if (sent > 0) {
            m_frameSent += size_t(sent);
            m_lastProgressNs = monotonicNs();
            continue;
        }
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return Step::Blocked;
        failed("send()", sent < 0 ? errno : EPIPE);
        return Step::Failed;
    }
    m_frame.clear();
    m_frameSent = 0;
    return Step::Done;
}

BodyStream::Step BodyStream::sendChunk(int64_t nowNs)
{
    size_t chunk = 0;
    if (const int64_t wake = m_pacer.admitAt(nowNs, m_plan.length - m_sent, chunk); wake != 0) {
        m_paced = true;
        m_wakeNs = wake;
        m_lastProgressNs = nowNs; // waiting on our own limit is not the client stalling
        return Step::Blocked;
    }
    ssize_t sent;
    if (m_phase == Phase::Bytes) { // sendfile(2), or pread + SSL_write over TLS
        sent = retryOnEintr([&] { return m_transport.sendFile(m_file.get(), &m_position, chunk); });
    } else {
        const size_t size =
            m_padPending != 0 ? m_padPending : std::min<uint64_t>({chunk, PadWrite, m_plan.length - m_sent});
        sent = retryOnEintr([&] { return m_transport.send(Zeros, size, false); });
        m_padPending = sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? size : 0;
    }
    const int error = errno;
    m_pacer.settle(sent > 0 ? uint64_t(sent) : 0);
    m_tookAll = sent > 0 && size_t(sent) >= chunk; // less: the socket is full (or the file ended)
    if (sent > 0) {
        m_sent += uint64_t(sent);
        m_slot.totalBytesSent.fetch_add(uint64_t(sent), std::memory_order_relaxed);
        m_lastProgressNs = monotonicNs();
        return Step::Moved;
    }
    if (sent == 0 && m_phase == Phase::Bytes) {
        m_phase = Phase::Padding; // end of file before the announced length: zeros keep the framing
        return Step::Done;
    }
    if (sent < 0 && (error == EAGAIN || error == EWOULDBLOCK))
        return Step::Blocked;
    failed(m_phase == Phase::Bytes ? "sendfile()" : "send()", sent < 0 ? error : EPIPE);
    return Step::Failed;
}

void BodyStream::endBytes()
{
    m_changed = m_phase == Phase::Padding || changedSince(m_file, m_plan.info);
    m_transport.endBody(); // every byte is taken: the record buffer can go
    m_frame.clear();
    m_frameSent = 0;
    proto::encode(bodyEnd(m_changed), m_frame);
    m_phase = Phase::Trailer;
}

StreamState BodyStream::waitForSocket(int64_t nowNs)
{
    if (nowNs - m_lastProgressNs >= m_sendTimeoutNs) {
        m_why = "send timeout"; // the client accepted no byte for the send timeout
        return StreamState::Failed;
    }
    m_wakeNs = m_lastProgressNs + m_sendTimeoutNs;
    m_tookAll = false; // this turn ended on a full socket: wait until epoll says it takes data
    m_wantsRead = m_transport.waitEvents() == POLLIN; // a TLS write may have to read a record first
    return StreamState::Writing;
}

void BodyStream::failed(const char *call, int error)
{
    if (error == EPIPE || error == ECONNRESET)
        m_why = "client closed";
    else if (error == EPROTO)
        m_why = m_transport.lastError();
    else
        m_why = std::string(call) + ": " + std::strerror(error);
}

} // namespace ferry::server
