#include "pool/pool_manager.h"

#include "base/log.h"
#include "config/options.h"

#include <algorithm>
#include <chrono>

namespace ferry::pool {

using server::WorkerState;
namespace policy = server::policy;

namespace {
constexpr std::chrono::milliseconds TickInterval{1000}; // Apache's maintenance interval
}

PoolLimits limitsFrom(const server::Options &options)
{
    PoolLimits limits;
    const uint32_t workers = std::min(options.workers, options.maxWorkers);
    limits.baseWorkers = workers;
    limits.minSpare = options.minSpare;
    limits.maxSpare = options.maxSpare ? options.maxSpare : workers;
    limits.maxSpare = std::max(limits.maxSpare, limits.minSpare);
    limits.maxWorkers = std::min(options.poolMaxWorkers ? options.poolMaxWorkers : workers, options.maxWorkers);
    limits.maxWorkers = std::max(limits.maxWorkers, workers);
    limits.maxRequests = options.maxRequests;
    limits.stallTimeoutS = uint32_t((options.stallTimeout.count() + 999) / 1000);
    return limits;
}

PoolManager::PoolManager(server::EventLoop &loop, server::Scoreboard &scoreboard, server::Supervisor &supervisor,
                         server::Dispatcher &dispatcher, std::function<PoolLimits()> configured)
    : m_loop(loop), m_scoreboard(scoreboard), m_supervisor(supervisor), m_dispatcher(dispatcher),
      m_configured(std::move(configured)), m_limits(m_configured()), m_slots(scoreboard.slotCount())
{
    m_supervisor.setPoolEvents({[this](const server::WorkerEnded &ended) { onWorkerEnded(ended); },
                                [this] { onGenerationStarted(); }});
    m_timer = m_loop.addTimer(TickInterval, [this] { tick(); });
    decideNow(false); // the first generation, at its configured size
}

PoolManager::~PoolManager()
{
    m_supervisor.setPoolEvents({});
    m_loop.cancelTimer(m_timer);
    if (m_retryTimer)
        m_loop.cancelTimer(m_retryTimer);
}

void PoolManager::setLimits(const PoolLimits &limits)
{
    m_limits = limits;
    m_state.spawnRate = 1;
    decideNow(false);
}

void PoolManager::tick()
{
    m_timer = m_loop.addTimer(TickInterval, [this] { tick(); });
    refreshBytes();
    decideNow(true);
}

void PoolManager::onGenerationStarted()
{
    m_limits = m_configured(); // a reload re-read the configuration
    decideNow(false);          // the policy starts the new generation at its size and stops the old one
}

void PoolManager::onWorkerEnded(const server::WorkerEnded &ended)
{
    SlotMemory &memory = m_slots[ended.slot];
    // Its final total, not the one the last tick saw: the slot may hold a new process before the next tick.
    // What the slot remembers of it (bytes, the watchdog's abort) must not pass to that new process.
    m_retiredBytes += memory.pid == ended.pid ? std::max(memory.totalBytesSent, ended.totalBytesSent)
                                              : memory.totalBytesSent + ended.totalBytesSent;
    memory.pid = 0;
    memory.totalBytesSent = 0;
    memory.abortedConnection = memory.abortRequestedNs = 0;
    const int64_t now = server::monotonicNs();
    memory.health = policy::healthAfterExit(memory.health, ended.reason, ended.lifetimeNs, now);
    if (ended.reason == server::ExitReason::Crashed || ended.reason == server::ExitReason::Failed)
        ++m_crashed;
    if (!policy::shouldRespawn(ended.reason) && !m_state.respawnBlocked) {
        LOG_ERROR("worker %u reported a fatal configuration error: not restarting workers", ended.slot);
        m_state.respawnBlocked = true;
    }
    if (memory.health.notBeforeNs > now)
        LOG_WARN("worker slot %u: %u early deaths in a row, backing off %lld ms", ended.slot,
                 memory.health.consecutiveFailures, (long long)((memory.health.notBeforeNs - now) / 1'000'000));
    decideNow(false);
}

void PoolManager::decideNow(bool tick)
{
    if (m_supervisor.isStopping())
        return;
    const PoolView view = buildView(server::monotonicNs(), tick);
    const Decision decision = decide(view, m_limits, m_state);
    if (tick) { // only a tick grows the pool, so only a tick can find it at its ceiling
        if (decision.maxWorkersReached && !m_wasAtMax)
            ++m_maxWorkersReached;
        m_wasAtMax = decision.maxWorkersReached;
    }
    carryOut(decision, view);
}

PoolView PoolManager::buildView(int64_t now, bool tick)
{
    PoolView view;
    view.currentGeneration = m_supervisor.generation();
    view.pending = m_dispatcher.stats().pending;
    view.nowNs = now;
    view.accepting = !m_supervisor.isStopping();
    view.isTick = tick;
    for (uint32_t i = 0; i < m_scoreboard.slotCount(); ++i) {
        SlotMemory &memory = m_slots[i];
        if (m_supervisor.isSlotFree(i)) {
            view.freeSlots.push_back({i, memory.health.notBeforeNs});
            continue;
        }
        const server::WorkerSlot &slot = m_scoreboard.slot(i);
        // A torn read: the owner died (or is stuck) inside its write section. Left out of this decision's
        // picture (held, so not free either); once reaped the slot reads cleanly again.
        const std::optional<server::SlotSnapshot> read = server::readSlot(slot);
        if (!read) {
            LOG_DEBUG("pool: slot %u is mid-update, left out of this decision", i);
            continue;
        }
        const server::SlotSnapshot &s = *read;
        if (s.state == WorkerState::Empty || s.pid <= 0)
            continue; // held, but nothing sensible to read: neither free nor counted
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

void PoolManager::carryOut(const Decision &decision, const PoolView &view)
{
    // New workers first, so that no connection waits for the old ones to leave.
    spawnInto(decision.spawn, view.nowNs);
    scheduleRetry(decision.retryAtNs, view.nowNs);
    for (uint32_t slot : decision.stopOldGeneration)
        m_supervisor.stopWorker(slot);
    stopSlots(decision.retire, "retired (surplus)");
    stopSlots(decision.recycle, "recycled after " + std::to_string(m_limits.maxRequests) + " requests");
    handleStalls(decision, view.nowNs);
}

void PoolManager::spawnInto(const std::vector<uint32_t> &slots, int64_t now)
{
    if (!slots.empty())
        LOG_DEBUG("pool: forking %zu worker(s), aiming for %u", slots.size(), m_state.target);
    bool forked = false;
    for (uint32_t slot : slots) {
        if (m_supervisor.spawn(slot)) {
            forked = true;
            continue;
        }
        // The system refused (socketpair, fork, epoll): the slot waits; the rest would only fail the same way.
        m_slots[slot].health.notBeforeNs = now + policy::ForkRetryDelayNs;
        scheduleRetry(m_slots[slot].health.notBeforeNs, now);
        break;
    }
    // Connections may be queued for want of a worker. A fork that follows an exit is announced by the
    // Supervisor's exit handling; one on the tick or after a backoff has no other event to announce it,
    // and without this the queue would wait for an unrelated one.
    if (forked)
        m_dispatcher.onWorkerAvailable();
}

void PoolManager::stopSlots(const std::vector<uint32_t> &slots, const std::string &why)
{
    for (uint32_t slot : slots) {
        noteExit(slot, m_scoreboard.slot(slot).pid.load(), why);
        m_supervisor.stopWorker(slot);
    }
}

void PoolManager::handleStalls(const Decision &decision, int64_t now)
{
    for (uint32_t slot : decision.abortStalled) {
        const uint64_t connection = m_scoreboard.slot(slot).connectionId.load();
        LOG_WARN("pool: worker slot %u: no progress for %u s on connection %llu: aborting the transfer", slot,
                 m_limits.stallTimeoutS, (unsigned long long)connection);
        m_slots[slot].abortedConnection = connection;
        m_slots[slot].abortRequestedNs = now;
        noteExit(slot, m_scoreboard.slot(slot).pid.load(), "stalled transfer aborted");
        m_supervisor.abortConnection(connection);
        m_supervisor.stopWorker(slot); // recycled once the abort lets it go
    }
    for (uint32_t slot : decision.killStalled) {
        LOG_WARN("pool: worker slot %u did not let go of a stalled transfer: SIGKILL", slot);
        m_slots[slot].abortRequestedNs = now; // once per grace period at most
        m_supervisor.killWorker(slot);
    }
}

void PoolManager::scheduleRetry(int64_t atNs, int64_t now)
{
    if (atNs == 0 || (m_retryTimer && m_retryAtNs <= atNs))
        return;
    if (m_retryTimer)
        m_loop.cancelTimer(m_retryTimer);
    m_retryAtNs = atNs;
    const auto delay = std::chrono::milliseconds(std::max<int64_t>(1, (atNs - now) / 1'000'000 + 1));
    m_retryTimer = m_loop.addTimer(delay, [this] {
        m_retryTimer = 0;
        decideNow(false);
    });
}

PoolHealth PoolManager::health() const
{
    PoolHealth h;
    h.respawnBlocked = m_state.respawnBlocked;
    h.crashed = m_crashed;
    const int64_t now = server::monotonicNs();
    for (uint32_t i = 0; i < m_slots.size(); ++i) {
        const int64_t notBefore = m_slots[i].health.notBeforeNs;
        if (notBefore <= now || !m_supervisor.isSlotFree(i))
            continue;
        ++h.backoffSlots;
        h.backoffMs = std::max(h.backoffMs, (notBefore - now) / 1'000'000);
    }
    return h;
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
