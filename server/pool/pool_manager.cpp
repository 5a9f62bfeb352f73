#include "pool/pool_manager.h"

#include "base/log.h"

#include <algorithm>
#include <chrono>

namespace ferry::pool {

using server::WorkerState;

namespace {
constexpr std::chrono::milliseconds TickInterval{1000}; // Apache's maintenance interval
}

PoolManager::PoolManager(server::EventLoop &loop, server::Scoreboard &scoreboard, server::Supervisor &supervisor,
                         server::Dispatcher &dispatcher, std::function<PoolLimits()> configured)
    : m_loop(loop), m_scoreboard(scoreboard), m_supervisor(supervisor), m_dispatcher(dispatcher),
      m_configured(std::move(configured)), m_limits(m_configured()),
      m_generation(scoreboard.control().generation.load()), m_slots(scoreboard.slotCount())
{
    m_timer = m_loop.addTimer(TickInterval, [this] { tick(); });
}

PoolManager::~PoolManager()
{
    m_loop.cancelTimer(m_timer);
}

void PoolManager::setLimits(const PoolLimits &limits)
{
    m_limits = limits;
    const uint32_t target = m_supervisor.status().target;
    if (target > m_limits.maxWorkers)
        m_supervisor.setTargetWorkers(m_limits.maxWorkers); // idle surplus goes now, busy ones finish first
    m_state.spawnRate = 1;
}

PoolView PoolManager::buildView(int64_t now)
{
    PoolView view;
    view.capacity = m_scoreboard.slotCount();
    view.currentGeneration = m_scoreboard.control().generation.load();
    view.pending = m_dispatcher.stats().pending;
    view.nowNs = now;
    view.accepting = !m_supervisor.isStopping();
    for (uint32_t i = 0; i < view.capacity; ++i) {
        const server::WorkerSlot &slot = m_scoreboard.slot(i);
        // A torn read: the owner died (or is stuck) inside its write section. Left out of this tick's picture;
        // once reaped the slot reads cleanly again.
        const std::optional<server::SlotSnapshot> read = server::readSlot(slot);
        if (!read) {
            LOG_DEBUG("pool tick: slot %u is mid-update, left out of this tick", i);
            continue;
        }
        const server::SlotSnapshot &s = *read;
        if (s.state == WorkerState::Empty || s.pid <= 0)
            continue;
        SlotMemory &memory = m_slots[i];
        if (memory.abortedConnection != 0 && memory.abortedConnection != s.connectionId)
            memory.abortedConnection = memory.abortRequestedNs = 0; // that connection is over
        WorkerView w;
        w.slot = i;
        w.state = s.state;
        w.generation = s.generation;
        w.requests = s.requestsServed;
        w.connectionId = s.connectionId;
        w.transferStartNs = s.transferStartNs;
        w.lastProgressNs = s.lastProgressNs;
        w.stopRequested = slot.stopRequested.load() != 0;
        w.abortRequestedNs = memory.abortRequestedNs;
        view.workers.push_back(w);
    }
    return view;
}

uint32_t PoolManager::activeWorkers(const PoolView &view) const
{
    return uint32_t(std::count_if(view.workers.begin(), view.workers.end(),
                                  [&](const WorkerView &w) { return isActive(w, view.currentGeneration); }));
}

void PoolManager::tick()
{
    m_timer = m_loop.addTimer(TickInterval, [this] { tick(); });
    refreshBytes();
    if (m_supervisor.isStopping())
        return;
    if (const uint32_t generation = m_scoreboard.control().generation.load(); generation != m_generation) {
        m_generation = generation;
        setLimits(m_configured());
    }
    const PoolView view = buildView(server::monotonicNs());
    const Decision decision = decide(view, m_limits, m_state);
    if (decision.maxWorkersReached && !m_wasAtMax)
        ++m_maxWorkersReached;
    m_wasAtMax = decision.maxWorkersReached;
    carryOut(decision, view);
}

void PoolManager::carryOut(const Decision &decision, const PoolView &view)
{
    // The Supervisor owns the process count through its target; the policy moves it up or down.
    const uint32_t target = m_supervisor.status().target;
    uint32_t wanted = std::max(target, activeWorkers(view)) + decision.spawn;
    if (decision.retire && decision.spawn == 0) {
        const uint32_t base = std::min(target, activeWorkers(view));
        wanted = base > 0 ? base - 1 : 0;
    }
    wanted = std::min(wanted, m_limits.maxWorkers);
    // The policy's pick first (the highest idle slot, so the low slots stay warm); lowering the target then
    // finds nothing more to retire. Left to itself the Supervisor would take any idle worker.
    if (decision.retire && decision.spawn == 0 && wanted < target) {
        noteExit(*decision.retire, m_scoreboard.slot(*decision.retire).pid.load(), "retired (surplus)");
        m_supervisor.killWorker(*decision.retire, true);
    }
    for (uint32_t slot : decision.stopOldGeneration) // reload stops them already; this catches stragglers
        m_supervisor.killWorker(slot, true);
    if (wanted != target) {
        LOG_DEBUG("pool: target %u -> %u workers", target, wanted);
        m_supervisor.setTargetWorkers(wanted);
    }
    for (uint32_t slot : decision.recycle) {
        noteExit(slot, m_scoreboard.slot(slot).pid.load(), "recycled after " + std::to_string(m_limits.maxRequests)
                                                                + " requests");
        m_supervisor.killWorker(slot, true);
    }
    for (uint32_t slot : decision.abortStalled) {
        const uint64_t connection = m_scoreboard.slot(slot).connectionId.load();
        LOG_WARN("pool: worker slot %u: no progress for %u s on connection %llu: aborting the transfer", slot,
                 m_limits.stallTimeoutS, (unsigned long long)connection);
        m_slots[slot].abortedConnection = connection;
        m_slots[slot].abortRequestedNs = view.nowNs;
        noteExit(slot, m_scoreboard.slot(slot).pid.load(), "stalled transfer aborted");
        m_supervisor.abortConnection(connection);
        m_supervisor.killWorker(slot, true); // recycled once the abort lets it go
    }
    for (uint32_t slot : decision.killStalled) {
        LOG_WARN("pool: worker slot %u did not let go of a stalled transfer: SIGKILL", slot);
        m_slots[slot].abortRequestedNs = view.nowNs; // once per grace period at most
        m_supervisor.killWorker(slot, false);
    }
}

void PoolManager::refreshBytes()
{
    for (uint32_t i = 0; i < m_slots.size(); ++i) {
        const server::WorkerSlot &slot = m_scoreboard.slot(i);
        const int32_t pid = slot.pid.load();
        SlotMemory &memory = m_slots[i];
        if (pid != memory.pid) { // a new process: the old one's total is final
            m_retiredBytes += memory.totalBytesSent;
            memory.pid = pid;
            memory.totalBytesSent = 0;
            memory.abortedConnection = memory.abortRequestedNs = 0;
        }
        if (pid > 0)
            memory.totalBytesSent = std::max(memory.totalBytesSent, slot.totalBytesSent.load());
    }
}

uint64_t PoolManager::bytesSent()
{
    refreshBytes();
    uint64_t total = m_retiredBytes;
    for (const SlotMemory &memory : m_slots)
        total += memory.totalBytesSent;
    return total;
}

void PoolManager::noteExit(uint32_t slot, int32_t pid, std::string why)
{
    if (slot >= m_slots.size())
        return;
    m_slots[slot].notePid = pid;
    m_slots[slot].note = std::move(why);
}

std::string PoolManager::exitNote(uint32_t slot, int32_t exitPid) const
{
    if (slot >= m_slots.size() || exitPid == 0 || m_slots[slot].notePid != exitPid)
        return {};
    return m_slots[slot].note;
}

} // namespace ferry::pool
