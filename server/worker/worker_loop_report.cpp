// WorkerLoop, what it tells the parent (connections parked, closed, Busy and Ready), and the upkeep of the
// open-file cache between loop turns.
#include "worker/worker_loop.h"

#include "base/log.h"

#include <cstring>

namespace ferry::server {

void WorkerLoop::expireFiles()
{
    // Once a second at most: the entries expire TTL after their last use, to the second is soon enough.
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
        // Closes are told once per loop turn, all in one message (tellClosed()): the parent wakes once
        // for them, and this worker is not preempted by that wake-up after every connection.
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
    if (m_closed.empty() || m_broken)
        return;
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
