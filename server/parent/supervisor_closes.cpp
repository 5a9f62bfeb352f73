// Supervisor, close reports through shared memory: a worker pushes the id of every connection it closes
// into its slot's ring (ipc/close_ring.h) instead of sending a message, and the parent takes them when
// it wakes anyway. At one client a short connection then wakes the parent once (for its accept), not
// twice (for its close too). What the parent counts from closes stays exact where it decides:
//  - every wake-up takes every ring before any callback runs (EventLoop::setWakeHooks), so an accept,
//    an admin request or a timer sees the closes published before it; a worker publishes a close before
//    it closes the socket, so a client that saw its connection end is counted out when it comes back;
//  - an address at its --max-per-ip takes the rings again before it is refused (Dispatcher::admitPeer);
//  - while connections wait for a worker (Hooks::closesAwaited), the workers wake the parent for every
//    close (ControlBlock::closesWanted), as the Done messages did;
//  - a worker's exit takes its ring before its connections are counted lost (onExit());
//  - a full ring falls back to the Done message (worker_loop_report.cpp).
#include "parent/supervisor.h"

#include "base/log.h"

#include <atomic>

namespace ferry::server {

void Supervisor::collectClosed()
{
    // By pid, looked up again each time: a close may end a worker's part (a protocol error) meanwhile.
    m_ringPids.clear();
    for (const auto &[pid, worker] : m_workers)
        m_ringPids.push_back(pid);
    for (pid_t pid : m_ringPids)
        if (auto it = m_workers.find(pid); it != m_workers.end() && !it->second.killedByParent)
            collectRing(it->second);
}

bool Supervisor::collectRing(Worker &worker, bool punish)
{
    m_ringIds.clear();
    bool valid = takeClosed(m_scoreboard.closeRing(worker.slot), m_ringIds);
    const pid_t pid = worker.pid;
    for (uint64_t id : m_ringIds) {
        auto it = m_workers.find(pid); // a close's callbacks may not end it, but check as receiveOne() does
        if (it == m_workers.end())
            return false;
        HandoffMessage message;
        message.kind = HandoffKind::Done;
        message.connectionId = id;
        valid = settleReturned(it->second, std::move(message)) && valid;
    }
    if (!valid && punish) {
        LOG_ERROR("worker %u (pid %d) left a malformed close report; stopping it", worker.slot, int(pid));
        if (auto it = m_workers.find(pid); it != m_workers.end())
            onProtocolError(it->second);
    }
    return valid;
}

void Supervisor::beforeWait()
{
    const bool wanted = m_stopping || (m_hooks.closesAwaited && m_hooks.closesAwaited());
    if (wanted != m_closesWanted) {
        m_closesWanted = wanted;
        m_scoreboard.control().closesWanted.store(wanted ? 1 : 0, std::memory_order_relaxed);
    }
    if (!wanted)
        return;
    // A worker pushes, then reads the flag; we write the flag, then read the rings. With a full fence
    // on both sides (close_ring.h), either it sees the flag and wakes us, or we see its close here.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    collectClosed();
}

} // namespace ferry::server
