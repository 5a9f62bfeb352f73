// A GET body sent without ever waiting, for connections that cannot leave their worker (TLS), and for
// plaintext ones while their worker holds such connections (ClientIo::keepsUnsent()): BODY, the
// file's bytes, zeros if the file shrank, BODY_END, each turn as far as the socket and the rate limits
// allow. The worker loop resumes it when epoll says the socket takes data again or when its pacing time
// comes, and serves its other connections in between, so one slow TLS reader holds up nobody. What goes
// on the wire, the pacing (body_pacer.h) and the send timeout are those of the blocking sendBody()
// (transfer.h), which plaintext connections keep otherwise: the others are handed to another worker.
#pragma once

#include "base/duration.h"
#include "base/unique_fd.h"
#include "ipc/scoreboard.h"
#include "worker/body_pacer.h"
#include "worker/body_quota.h"
#include "worker/transfer.h"
#include "worker/transport.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::server {

enum class StreamState {
    Writing,     // the socket took what it could: resume when transport.waitEvents() are ready
    Paced,       // a rate limit holds the next bytes back: resume at wakeNs()
    Complete,    // BODY_END Ok is sent
    FileChanged, // the file changed or shrank: padded, BODY_END FileChanged sent; the connection stays usable
    Failed,      // the connection cannot continue (client gone, send timeout, error): why() says
};

class BodyStream {
public:
    // `transport` is borrowed and must outlive the stream. `lead` holds what goes before the BODY frame:
    // answers queued to share its write, or kept because the socket did not take them (client_io.h).
    // Counts as a body in flight (ControlBlock::activeSenders) until destroyed.
    BodyStream(Transport &transport, UniqueFd file, const TransferPlan &plan, std::string path,
               ControlBlock &control, WorkerSlot &slot, Millis sendTimeout, std::vector<uint8_t> lead);
    ~BodyStream();
    BodyStream(const BodyStream &) = delete;
    BodyStream &operator=(const BodyStream &) = delete;

    // The body's hold on its address and quotas (body_quota.h), settled with the bytes sent when the
    // stream ends.
    void setQuota(BodyQuota quota) { m_quota = std::move(quota); }
    // Sends what it can now. After Writing or Paced, call again on the event or at wakeNs().
    StreamState resume();
    // When to call again without an event: the pacing time (Paced), or the send timeout (Writing).
    int64_t wakeNs() const { return m_wakeNs; }
    bool isPaced() const { return m_paced; }
    // Writing: whether to wait for the socket to be readable (a TLS write that must read first) rather
    // than writable.
    bool wantsRead() const { return m_wantsRead; }
    // Writing: the socket took the whole turn's chunk, so the next turn need not wait for epoll to say
    // it takes data (Linux does not report EPOLLOUT while the send buffer is over two thirds full).
    bool tookAll() const { return m_tookAll; }

    const std::string &path() const { return m_path; }
    uint64_t sent() const { return m_sent; }
    uint64_t length() const { return m_plan.length; }
    int64_t startNs() const { return m_startNs; }
    int64_t lastProgressNs() const { return m_lastProgressNs; }
    const std::string &why() const { return m_why; }

private:
    enum class Phase { Lead, Bytes, Padding, Trailer, Over };
    enum class Step { Moved, Blocked, Done, Failed };
    Step sendFrame();
    Step sendChunk(int64_t nowNs);
    StreamState waitForSocket(int64_t nowNs);
    void failed(const char *call, int error);
    void endBytes();

    Transport &m_transport;
    UniqueFd m_file;
    TransferPlan m_plan;
    std::string m_path;
    ControlBlock &m_control;
    WorkerSlot &m_slot;
    BodyPacer m_pacer;
    BodyQuota m_quota;
    int64_t m_sendTimeoutNs;
    Phase m_phase = Phase::Lead;
    std::vector<uint8_t> m_frame; // the lead and BODY frame, then BODY_END
    size_t m_frameSent = 0;
    off_t m_position;             // in the file
    uint64_t m_sent = 0;          // body bytes sent (file bytes and padding)
    size_t m_padPending = 0;      // zeros a blocked write must retry with, as OpenSSL requires
    bool m_changed = false;
    bool m_paced = false;
    bool m_wantsRead = false;
    bool m_tookAll = false;
    int64_t m_startNs;
    int64_t m_lastProgressNs;
    int64_t m_wakeNs = 0;
    std::string m_why;
};

} // namespace ferry::server
