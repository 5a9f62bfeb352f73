// WorkerLoop, what it tells the parent (connections parked, closed, Busy and Ready), and the upkeep of the
// open-file cache between loop turns.
#include "worker/worker_loop.h"

#include "base/log.h"

#include <atomic>
#include <cstring>

namespace ferry::server {

void WorkerLoop::expireFiles()
{
    // Once a second at most: the sweep is O(cached files).
    const int64_t now = monotonicNs();
    if (now < m_nextFileSweepNs)
        return;
    m_handler.expireFiles(now);
    m_nextFileSweepNs = now + 1'000'000'000;
}

void WorkerLoop::tell(const HandoffMessage &message)
{
    if (m_broken)
        return;
    if (message.kind == HandoffKind::Done && !message.fd) {
        // Into the close ring, which the parent reads when it wakes anyway (parent/supervisor_closes.cpp):
        // no message, no wake-up. Full fence, then the flag: the parent writes the flag, then reads the
        // rings, so either it sees this close or we see that it wants a wake-up (tellClosed()).
        if (pushClosed(m_ring, message.connectionId)) {
            std::atomic_thread_fence(std::memory_order_seq_cst);
            m_wakeOwed = m_wakeOwed || m_control.closesWanted.load(std::memory_order_relaxed) != 0;
            return;
        }
        // The ring is full: told once per loop turn, all in one message (tellClosed()), so the parent
        // wakes once for them and this worker is not preempted by that wake-up after every connection.
        m_closed.push_back(message.connectionId);
        if (m_closed.size() == MaxHandoffBatch)
            tellClosed();
        return;
    }
    tellClosed(); // what came before goes first
    send(std::span<const HandoffMessage>(&message, 1));
}

void WorkerLoop::tellClosed()
{
    if (m_broken)
        return;
    if (m_closed.empty()) {
        if (m_wakeOwed) { // any message wakes the parent, which then reads the ring
            m_wakeOwed = false;
            const HandoffMessage wake{HandoffKind::ClosesQueued, 0, {}, {}, {}, {}};
            send(std::span<const HandoffMessage>(&wake, 1));
        }
        return;
    }
    m_wakeOwed = false; // the Done message below wakes the parent, which reads the ring too
    std::vector<HandoffMessage> messages(m_closed.size());
    for (size_t i = 0; i < m_closed.size(); ++i) {
        messages[i].kind = HandoffKind::Done;
        messages[i].connectionId = m_closed[i];
    }
    m_closed.clear();
    send(messages);
}

void WorkerLoop::send(std::span<const HandoffMessage> messages)
{
    flushAudit(); // sendmsg() may block on a full channel (worker_audit.cpp)
    if (int error = sendHandoffs(m_context.channel.get(), messages); error != 0) {
        LOG_ERROR("worker %u: sendmsg() telling the parent about connection %llu%s: %s", m_context.slotIndex,
                  (unsigned long long)messages.front().connectionId, messages.size() > 1 ? " and others" : "",
                  std::strerror(error));
        m_broken = true;
    }
}

} // namespace ferry::server
