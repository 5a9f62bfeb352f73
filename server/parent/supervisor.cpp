#include "parent/supervisor.h"

#include "base/log.h"
#include "policy/exit_policy.h"
#include "worker/worker.h"
#include "parent/worker_launch.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ferry::server {

Supervisor::Supervisor(EventLoop &loop, Scoreboard &scoreboard, const Jail &jail, Millis sendTimeout, Hooks hooks)
    : m_loop(loop), m_scoreboard(scoreboard), m_jail(jail), m_sendTimeout(sendTimeout), m_hooks(std::move(hooks)),
      m_slotUsed(scoreboard.slotCount(), false), m_health(scoreboard.slotCount())
{
    m_generation = scoreboard.control().generation.load();
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
        m_cpuCount = uint32_t(std::max(1, CPU_COUNT(&allowed)));
}

Supervisor::~Supervisor()
{
    if (m_maintainTimer)
        m_loop.cancelTimer(m_maintainTimer);
    for (auto &[pid, worker] : m_workers)
        closeChannel(worker);
}

void Supervisor::start(uint32_t target)
{
    m_target = std::min(target, m_scoreboard.slotCount());
    maintain();
}

int Supervisor::freeSlot(int64_t now) const
{
    for (uint32_t i = 0; i < m_slotUsed.size(); ++i)
        if (!m_slotUsed[i] && m_health[i].notBeforeNs <= now)
            return int(i);
    return -1;
}

void Supervisor::maintain()
{
    if (m_stopping || m_fatal)
        return;
    uint32_t current = 0;
    for (const auto &[pid, worker] : m_workers)
        if (worker.generation == m_generation && worker.phase != WorkerPhase::Stopping)
            ++current;
    int64_t now = monotonicNs();
    while (current < m_target) {
        int slot = freeSlot(now);
        if (slot < 0)
            break;
        if (!spawn(uint32_t(slot)))
            break;
        ++current;
    }
    if (current >= m_target || m_maintainTimer)
        return;
    // Short of workers and every free slot is backing off: come back when the earliest may restart.
    int64_t earliest = INT64_MAX;
    for (uint32_t i = 0; i < m_slotUsed.size(); ++i)
        if (!m_slotUsed[i])
            earliest = std::min(earliest, m_health[i].notBeforeNs);
    if (earliest == INT64_MAX)
        return; // every slot is occupied (old generation still finishing): reap() calls maintain() again
    auto delay = Millis(std::max<int64_t>(1, (earliest - now) / 1000000 + 1));
    m_maintainTimer = m_loop.addTimer(delay, [this] {
        m_maintainTimer = 0;
        maintain();
    });
}

bool Supervisor::spawn(uint32_t slotIndex)
{
    UniqueFd parentEnd, workerEnd;
    if (int error = makeChannel(parentEnd, workerEnd); error != 0) {
        LOG_ERROR("socketpair() for worker slot %u: %s", slotIndex, std::strerror(error));
        return false;
    }
    WorkerSlot &slot = m_scoreboard.slot(slotIndex);
    clearWorkerFields(slot);
    slot.generation.store(m_generation);
    slot.state.store(WorkerState::Starting);
    slot.startedNs.store(monotonicNs());
    slot.restarts.fetch_add(1);
    pid_t pid = fork();
    if (pid < 0) {
        LOG_ERROR("fork() for worker slot %u: %s", slotIndex, std::strerror(errno));
        clearWorkerFields(slot);
        m_health[slotIndex].notBeforeNs = monotonicNs() + 1'000'000'000; // Apache: sleep after a failed fork
        return false;
    }
    if (pid == 0) {
        WorkerContext context{slotIndex, m_generation, std::move(workerEnd), &m_jail,
                              &m_scoreboard, m_sendTimeout, m_tls};
        becomeWorker(context);
    }
    slot.pid.store(pid);
    Worker &worker = m_workers[pid];
    worker.pid = pid;
    worker.slot = slotIndex;
    worker.generation = m_generation;
    worker.startedNs = monotonicNs();
    worker.channel = std::move(parentEnd);
    m_slotUsed[slotIndex] = true;
    ++m_spawned;
    m_loop.add(worker.channel.get(), EPOLLIN, [this, pid](uint32_t events) { onChannel(pid, events); });
    m_idle.push_back(pid);
    LOG_DEBUG("worker slot %u started: pid %d, generation %u", slotIndex, int(pid), m_generation);
    return true;
}

Supervisor::Worker *Supervisor::pickIdle(bool spread)
{
    // Among the most recently available workers, one per CPU, the one holding the fewest connections.
    // One busy worker per CPU is what keeps every CPU working; spreading clients over more workers only
    // adds wake-ups, because each worker would find fewer ready connections per epoll_wait (on 2 CPUs,
    // 16 kept-alive clients: about 1.3 times the requests/s of spreading them over 8 workers). Workers
    // beyond those stay free for long responses and bursts. O(CPUs).
    // A TLS connection (`spread`) never leaves the worker it is given, and waits while that worker
    // sends a long body to another: those go to the idle worker holding the fewest of all. O(workers).
    Worker *best = nullptr;
    uint32_t considered = 0;
    const uint32_t limit = spread ? uint32_t(m_idle.size()) : m_cpuCount;
    for (auto it = m_idle.rbegin(); it != m_idle.rend() && considered < limit; ++it, ++considered) {
        Worker &worker = m_workers.at(*it);
        if (!best || worker.connections.size() < best->connections.size())
            best = &worker;
        if (best->connections.empty())
            break;
    }
    return best;
}

int Supervisor::dispatch(const HandoffMessage &message)
{
    while (Worker *worker = pickIdle(message.kind == HandoffKind::DispatchTls)) {
        int error = sendHandoff(worker->channel.get(), message, MSG_DONTWAIT);
        if (error == 0) {
            worker->connections.push_back(message.connectionId);
            if (message.kind == HandoffKind::DispatchTls)
                worker->tls.push_back(message.connectionId);
            updateAvailability(*worker);
            return int(worker->slot);
        }
        if (error == EAGAIN)
            return -1; // its channel is full: the connection waits in the queue for the next free worker
        // An idle worker whose channel fails is broken: replace it rather than trust it again.
        LOG_ERROR("sendmsg() passing connection %llu to worker %u (pid %d): %s",
                  (unsigned long long)message.connectionId, worker->slot, int(worker->pid), std::strerror(error));
        worker->killedByParent = true;
        kill(worker->pid, SIGKILL);
        worker->phase = WorkerPhase::Stopping;
        removeIdle(worker->pid);
    }
    return -1;
}

bool Supervisor::updateAvailability(Worker &worker)
{
    if (worker.phase == WorkerPhase::Stopping)
        return false;
    size_t plaintext = worker.connections.size() - worker.tls.size();
    bool available = !worker.longWork && plaintext < MaxConnectionsPerWorker
                     && worker.tls.size() < MaxTlsConnectionsPerWorker;
    WorkerPhase phase = available ? WorkerPhase::Idle : WorkerPhase::Busy;
    if (phase != worker.phase) {
        worker.phase = phase;
        if (available)
            m_idle.push_back(worker.pid);
        else
            std::erase(m_idle, worker.pid);
    }
    return available;
}

void Supervisor::onChannel(pid_t pid, uint32_t)
{
    for (;;) {
        auto it = m_workers.find(pid);
        if (it == m_workers.end() || !it->second.channel)
            return;
        ReceiveResult received = receiveHandoff(it->second.channel.get(), MSG_DONTWAIT);
        if (received.status == ReceiveStatus::WouldBlock)
            return;
        if (received.status != ReceiveStatus::Ok) {
            // The worker is gone or talking nonsense; reap() settles its connections when SIGCHLD arrives.
            if (received.status == ReceiveStatus::Error)
                LOG_ERROR("recvmsg() from worker %u (pid %d): %s", it->second.slot, int(pid),
                          std::strerror(received.error));
            closeChannel(it->second);
            return;
        }
        onMessage(it->second, std::move(received.message));
    }
}

void Supervisor::onMessage(Worker &worker, HandoffMessage &&message)
{
    switch (message.kind) {
    case HandoffKind::Busy:
    case HandoffKind::Ready:
        worker.longWork = message.kind == HandoffKind::Busy;
        if (updateAvailability(worker))
            m_hooks.workerAvailable();
        return;
    case HandoffKind::Park:
    case HandoffKind::Done: {
        auto held = std::find(worker.connections.begin(), worker.connections.end(), message.connectionId);
        if (held == worker.connections.end())
            break; // not a connection this worker was given
        worker.connections.erase(held);
        std::erase(worker.tls, message.connectionId);
        bool available = updateAvailability(worker);
        m_hooks.connectionReturned(std::move(message));
        if (available)
            m_hooks.workerAvailable();
        return;
    }
    case HandoffKind::Dispatch:
    case HandoffKind::DispatchTls: break;
    }
    onProtocolError(worker);
}

void Supervisor::onProtocolError(Worker &worker)
{
    LOG_ERROR("worker %u (pid %d) sent an unexpected message; stopping it", worker.slot, int(worker.pid));
    worker.killedByParent = true;
    kill(worker.pid, SIGKILL);
    closeChannel(worker);
}

void Supervisor::stopWorker(Worker &worker)
{
    worker.phase = WorkerPhase::Stopping;
    m_scoreboard.slot(worker.slot).stopRequested.store(1);
    removeIdle(worker.pid);
    // EOF on the channel is the stop signal. Shutting down only our sending side keeps the channel open
    // for the connections the worker hands back on its way out; it exits once it holds none.
    if (worker.channel)
        ::shutdown(worker.channel.get(), SHUT_WR);
}

void Supervisor::closeChannel(Worker &worker)
{
    if (!worker.channel)
        return;
    m_loop.remove(worker.channel.get());
    worker.channel.reset();
}

void Supervisor::removeIdle(pid_t pid) { std::erase(m_idle, pid); }

void Supervisor::reap()
{
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            break;
        onExit(pid, status);
    }
    if (m_stopping && m_workers.empty() && m_hooks.allStopped)
        m_hooks.allStopped();
}

void Supervisor::onExit(pid_t pid, int status)
{
    if (m_workers.find(pid) == m_workers.end())
        return; // not ours (e.g. a helper another module forked)
    // SIGCHLD can overtake the worker's last message (a parked connection on its way back): read what it
    // sent before it exited, or that connection would be closed along with the channel.
    onChannel(pid, 0);
    auto it = m_workers.find(pid);
    Worker worker = std::move(it->second);
    m_workers.erase(it);
    removeIdle(pid);
    closeChannel(worker);
    ExitReason reason = recordExit(worker, status);
    if (reason == ExitReason::Crashed || reason == ExitReason::Failed)
        ++m_crashed;
    if (reason == ExitReason::FatalConfig) {
        LOG_ERROR("worker %u reported a fatal configuration error: not restarting workers", worker.slot);
        m_fatal = true;
    }
    for (uint64_t id : worker.connections)
        m_hooks.connectionLost(id);
    maintain();
    if (!m_stopping && !m_idle.empty())
        m_hooks.workerAvailable();
}

ExitReason Supervisor::recordExit(const Worker &worker, int status)
{
    ExitReason reason = policy::classifyExit(status, worker.killedByParent);
    int64_t lifetime = monotonicNs() - worker.startedNs;
    WorkerSlot &slot = m_scoreboard.slot(worker.slot);
    clearWorkerFields(slot);
    slot.lastExitReason.store(reason);
    slot.lastExitStatus.store(WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    slot.lastExitPid.store(worker.pid);
    m_slotUsed[worker.slot] = false;
    SlotHealth &health = m_health[worker.slot];
    health.failures = policy::countsAsFailure(reason, lifetime) ? health.failures + 1 : 0;
    health.notBeforeNs = monotonicNs() + int64_t(policy::respawnDelay(health.failures).count()) * 1000000;
    auto level = reason == ExitReason::Normal ? log::Level::Debug : log::Level::Warn;
    FERRY_LOG(level, "worker %u (pid %d) ended: %s (status %d)%s", worker.slot, int(worker.pid),
              exitReasonName(reason), slot.lastExitStatus.load(), health.failures > 1 ? ", backing off" : "");
    return reason;
}

Supervisor::Worker *Supervisor::findBySlot(uint32_t slot)
{
    for (auto &[pid, worker] : m_workers)
        if (worker.slot == slot)
            return &worker;
    return nullptr;
}

PoolStatus Supervisor::status() const
{
    PoolStatus s;
    s.target = m_target;
    s.maxWorkers = m_scoreboard.slotCount();
    s.generation = m_generation;
    s.spawned = m_spawned;
    s.crashed = m_crashed;
    s.fatal = m_fatal;
    for (const auto &[pid, worker] : m_workers) {
        ++s.alive;
        s.idle += worker.phase == WorkerPhase::Idle;
        s.busy += worker.phase == WorkerPhase::Busy;
        s.stopping += worker.phase == WorkerPhase::Stopping;
    }
    int64_t now = monotonicNs();
    for (uint32_t i = 0; i < m_slotUsed.size(); ++i) {
        if (m_slotUsed[i] || m_health[i].notBeforeNs <= now)
            continue;
        ++s.backoffSlots;
        s.backoffMs = std::max(s.backoffMs, (m_health[i].notBeforeNs - now) / 1'000'000);
    }
    return s;
}

void Supervisor::setTargetWorkers(uint32_t target)
{
    m_target = std::min(target, m_scoreboard.slotCount());
    uint32_t current = 0;
    for (auto &[pid, worker] : m_workers)
        if (worker.generation == m_generation && worker.phase != WorkerPhase::Stopping)
            ++current;
    // Retire surplus, idle ones first (they hand their connections back at once); busy ones finish their
    // response first.
    for (int pass = 0; pass < 2 && current > m_target; ++pass)
        for (auto &[pid, worker] : m_workers) {
            if (current <= m_target)
                break;
            bool pick = pass == 0 ? worker.phase == WorkerPhase::Idle : worker.phase == WorkerPhase::Busy;
            if (pick && worker.generation == m_generation) {
                stopWorker(worker);
                --current;
            }
        }
    maintain();
}

void Supervisor::reload(uint32_t target, Millis sendTimeout)
{
    m_sendTimeout = sendTimeout;
    m_generation = m_scoreboard.control().generation.fetch_add(1) + 1;
    LOG_INFO("reload: starting generation %u", m_generation);
    m_target = std::min(target, m_scoreboard.slotCount());
    maintain(); // new workers first, so no connection waits for the old ones to leave
    for (auto &[pid, worker] : m_workers)
        if (worker.generation != m_generation && worker.phase != WorkerPhase::Stopping)
            stopWorker(worker);
    maintain(); // slots freed by idle old workers are reaped later; reap() calls maintain() again
}

bool Supervisor::killWorker(uint32_t slot, bool graceful)
{
    Worker *worker = findBySlot(slot);
    if (!worker)
        return false;
    if (graceful) {
        stopWorker(*worker);
    } else {
        worker->killedByParent = true;
        kill(worker->pid, SIGKILL);
    }
    return true;
}

bool Supervisor::abortConnection(uint64_t connectionId)
{
    for (auto &[pid, worker] : m_workers)
        if (std::find(worker.connections.begin(), worker.connections.end(), connectionId)
            != worker.connections.end()) {
            m_scoreboard.slot(worker.slot).abortConnection.store(connectionId);
            return true;
        }
    return false;
}

void Supervisor::stopAll()
{
    m_stopping = true;
    if (m_maintainTimer) {
        m_loop.cancelTimer(m_maintainTimer);
        m_maintainTimer = 0;
    }
    for (auto &[pid, worker] : m_workers)
        stopWorker(worker);
    if (m_workers.empty() && m_hooks.allStopped)
        m_hooks.allStopped();
}

void Supervisor::killAll()
{
    for (auto &[pid, worker] : m_workers) {
        worker.killedByParent = true;
        kill(pid, SIGKILL);
    }
}

} // namespace ferry::server
