#include "parent/supervisor.h"

#include "base/log.h"
#include "policy/exit_policy.h"
#include "worker/worker.h"
#include "parent/worker_launch.h"
#include "base/syscall.h"

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
      m_slotUsed(scoreboard.slotCount(), false)
{
    m_generation = scoreboard.control().generation.load();
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
        m_cpuCount = uint32_t(std::max(1, CPU_COUNT(&allowed)));
}

Supervisor::~Supervisor()
{
    for (auto &[pid, worker] : m_workers)
        closeChannel(worker);
}

bool Supervisor::spawn(uint32_t slotIndex)
{
    if (m_stopping || slotIndex >= m_slotUsed.size() || m_slotUsed[slotIndex]) {
        LOG_ERROR("worker slot %u: not forking (%s)", slotIndex, m_stopping ? "stopping" : "slot taken");
        return false;
    }
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
        return false;
    }
    if (pid == 0) {
        WorkerContext context{slotIndex, m_generation, std::move(workerEnd), &m_jail,
                              &m_scoreboard, m_sendTimeout, m_tls, m_manifests, m_access};
        context.audit = m_audit;
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
    // Level-triggered, not EPOLLET: onChannel() reads one datagram per report and relies on the next.
    if (int error = m_loop.add(worker.channel.get(), EPOLLIN, [this, pid](uint32_t events) { onChannel(pid, events); });
        error != 0) {
        // A worker we cannot hear would hold its slot and never report itself idle. It holds no connection
        // yet: kill it, and let reap() free the slot. It counts as a crash on purpose, so that a lasting
        // epoll failure (ENOMEM, ENOSPC) backs off and opens the breaker like any other crash loop.
        LOG_ERROR("epoll_ctl() watching the channel of worker slot %u (pid %d): %s; stopping it", slotIndex,
                  int(pid), std::strerror(error));
        kill(pid, SIGKILL);
        return false;
    }
    m_available.push_back(pid); // a freshly forked worker takes connections: the channel buffers them
    LOG_DEBUG("worker slot %u started: pid %d, generation %u", slotIndex, int(pid), m_generation);
    return true;
}

Supervisor::Worker *Supervisor::pickAvailable()
{
    // Among the most recently available workers, one per CPU, the one holding the fewest connections.
    // One busy worker per CPU is what keeps every CPU working; spreading clients over more workers only
    // adds wake-ups, because each worker would find fewer ready connections per epoll_wait (on 2 CPUs,
    // 16 kept-alive clients: about 1.3 times the requests/s of spreading them over 8 workers). Workers
    // beyond those stay free for long responses and bursts. O(CPUs).
    // TLS connections, which never leave the worker they are given, are consolidated the same way: a
    // body is sent in turns with the worker's other connections (worker/body_stream.h) and a worker in
    // long work takes no new ones, while spreading 16 TLS clients over 8 workers cost a quarter more
    // server CPU per kept-alive request and more per handshake (docs/PERFORMANCE.md, "Full handshakes
    // on both sides").
    Worker *best = nullptr;
    uint32_t considered = 0;
    for (auto it = m_available.rbegin(); it != m_available.rend() && considered < m_cpuCount; ++it, ++considered) {
        Worker &worker = m_workers.at(*it);
        if (!best || worker.connections.size() < best->connections.size())
            best = &worker;
        if (best->connections.empty())
            break;
    }
    return best;
}

int Supervisor::dispatch(HandoffMessage &&message)
{
    while (Worker *worker = pickAvailable()) {
        const uint64_t id = message.connectionId;
        const bool tls = message.kind == HandoffKind::DispatchTls;
        int error = 0;
        if (m_holding) {
            if (worker->outbox.empty())
                m_withOutbox.push_back(worker->pid);
            worker->outbox.push_back(std::move(message));
        } else if (error = sendHandoff(worker->channel.get(), message, MSG_DONTWAIT); error == 0) {
            message.fd.reset(); // the worker has its own copy now
        }
        if (error == 0) {
            worker->connections.push_back(id);
            if (tls)
                worker->tls.push_back(id);
            updateAvailability(*worker);
            return int(worker->slot);
        }
        if (error == EAGAIN)
            return -1; // its channel is full: the connection waits in the queue for the next free worker
        // A worker whose channel fails is broken: kill it (the pool replaces it) rather than trust it again.
        LOG_ERROR("sendmsg() passing connection %llu to worker %u (pid %d): %s",
                  (unsigned long long)message.connectionId, worker->slot, int(worker->pid), std::strerror(error));
        sigkill(*worker);
    }
    return -1;
}

bool Supervisor::updateAvailability(Worker &worker)
{
    // Whether the parent may hand it another connection: a fact about dispatch, kept apart from what the
    // worker shows in its scoreboard slot (a worker may be Sending and still take connections, if its
    // response is short; or Idle and take none, if it was just told to stop and has not noticed yet).
    const bool available = !worker.stopRequested && !worker.killedByParent && !worker.longWork
                           && worker.connections.size() - worker.tls.size() < MaxConnectionsPerWorker
                           && worker.tls.size() < MaxTlsConnectionsPerWorker;
    const bool listed = std::find(m_available.begin(), m_available.end(), worker.pid) != m_available.end();
    if (available && !listed)
        m_available.push_back(worker.pid);
    else if (!available && listed)
        std::erase(m_available, worker.pid);
    return available;
}

void Supervisor::onChannel(pid_t pid, uint32_t)
{
    receiveOne(pid);
}

bool Supervisor::receiveOne(pid_t pid)
{
    auto it = m_workers.find(pid);
    if (it == m_workers.end() || !it->second.channel)
        return false;
    ReceiveBatch received = receiveHandoffs(it->second.channel.get(), MSG_DONTWAIT);
    if (received.status == ReceiveStatus::WouldBlock)
        return false;
    if (received.status != ReceiveStatus::Ok) {
        // The worker is gone or talking nonsense; reap() settles its connections when SIGCHLD arrives.
        if (received.status == ReceiveStatus::Error)
            LOG_ERROR("recvmsg() from worker %u (pid %d): %s", it->second.slot, int(pid),
                      std::strerror(received.error));
        closeChannel(it->second);
        return false;
    }
    for (HandoffMessage &message : received.messages) {
        auto worker = m_workers.find(pid); // a message may have ended it (protocol error)
        if (worker == m_workers.end() || !worker->second.channel)
            return false;
        onMessage(worker->second, std::move(message));
    }
    return true;
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
    sigkill(worker);
    closeChannel(worker);
}

void Supervisor::sigkill(Worker &worker)
{
    worker.killedByParent = true;
    kill(worker.pid, SIGKILL);
    updateAvailability(worker);
}

void Supervisor::requestStop(Worker &worker)
{
    worker.stopRequested = true;
    m_scoreboard.slot(worker.slot).stopRequested.store(1);
    updateAvailability(worker);
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

void Supervisor::reap()
{
    for (;;) {
        int status = 0;
        const pid_t pid = retryOnEintr([&] { return waitpid(-1, &status, WNOHANG); });
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
    while (receiveOne(pid)) {
    }
    auto it = m_workers.find(pid);
    returnUndelivered(it->second, it->second.outbox); // never sent: another worker may take them
    Worker worker = std::move(it->second);
    m_workers.erase(it);
    std::erase(m_available, pid);
    closeChannel(worker);
    const uint64_t bytesSent = m_scoreboard.slot(worker.slot).totalBytesSent.load(); // before it is cleared
    const ExitReason reason = recordExit(worker, status);
    for (uint64_t id : worker.connections)
        m_hooks.connectionLost(id);
    if (m_poolEvents.workerEnded) // the pool may fork a replacement now
        m_poolEvents.workerEnded({worker.slot, pid, reason, monotonicNs() - worker.startedNs, bytesSent});
    if (!m_stopping && !m_available.empty())
        m_hooks.workerAvailable();
}

ExitReason Supervisor::recordExit(const Worker &worker, int status)
{
    ExitReason reason = policy::classifyExit(status, worker.killedByParent);
    WorkerSlot &slot = m_scoreboard.slot(worker.slot);
    clearWorkerFields(slot);
    slot.lastExitReason.store(reason);
    slot.lastExitStatus.store(WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    slot.lastExitPid.store(worker.pid);
    m_slotUsed[worker.slot] = false;
    auto level = reason == ExitReason::Normal ? log::Level::Debug : log::Level::Warn;
    FERRY_LOG(level, "worker %u (pid %d) ended: %s (status %d)", worker.slot, int(worker.pid), exitReasonName(reason),
              slot.lastExitStatus.load());
    return reason;
}

Supervisor::Worker *Supervisor::findBySlot(uint32_t slot)
{
    for (auto &[pid, worker] : m_workers)
        if (worker.slot == slot)
            return &worker;
    return nullptr;
}

void Supervisor::startGeneration(Millis sendTimeout)
{
    m_sendTimeout = sendTimeout;
    m_generation = m_scoreboard.control().generation.fetch_add(1) + 1;
    LOG_INFO("reload: starting generation %u", m_generation);
    if (m_poolEvents.generationStarted)
        m_poolEvents.generationStarted();
}

bool Supervisor::stopWorker(uint32_t slot)
{
    Worker *worker = findBySlot(slot);
    if (!worker)
        return false;
    requestStop(*worker);
    return true;
}

bool Supervisor::killWorker(uint32_t slot)
{
    Worker *worker = findBySlot(slot);
    if (!worker)
        return false;
    sigkill(*worker);
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
    for (auto &[pid, worker] : m_workers)
        requestStop(worker);
    if (m_workers.empty() && m_hooks.allStopped)
        m_hooks.allStopped();
}

void Supervisor::killAll()
{
    for (auto &[pid, worker] : m_workers)
        sigkill(worker);
}

} // namespace ferry::server
