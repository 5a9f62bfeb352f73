#include "admin/server_backend.h"

#include "base/log.h"
#include "base/worker_state.h"

#include "ferry_version.h"

#include <unistd.h>

namespace ferry::admin {

using server::WorkerState;

namespace {

constexpr int64_t CrashWindowNs = 60'000'000'000;

// Scoreboard times are monotonic; the protocol speaks wall-clock Unix ms.
int64_t toWallMs(int64_t monotonic, int64_t nowMs, int64_t nowNs)
{
    return monotonic > 0 ? nowMs - (nowNs - monotonic) / 1'000'000 : 0;
}

// The pool totals by the state each worker stored (`busy` = reading + sending).
void countWorker(PoolInfo &pool, WorkerState state)
{
    switch (state) {
    case WorkerState::Empty: return; // no process
    case WorkerState::Idle: ++pool.idle; break;
    case WorkerState::Starting: ++pool.starting; break;
    case WorkerState::Stopping: ++pool.stopping; break;
    case WorkerState::Reading:
    case WorkerState::Sending: ++pool.busy; break;
    }
    ++pool.total;
}

CommandResult notFound(std::string message)
{
    return CommandResult::failure(ErrorCode::NotFound, std::move(message));
}

} // namespace

std::string ServerBackend::lastExitText(uint32_t slot, const server::SlotSnapshot &s) const
{
    if (s.lastExitReason == server::ExitReason::None)
        return {};
    const int32_t exitPid = m_parent.scoreboard().slot(slot).lastExitPid.load();
    if (std::string note = m_pool.exitNote(slot, exitPid); !note.empty())
        return note;
    std::string text = server::exitReasonName(s.lastExitReason);
    if (s.lastExitReason == server::ExitReason::Crashed || s.lastExitReason == server::ExitReason::Killed)
        text += " (signal " + std::to_string(s.lastExitStatus) + ")";
    else if (s.lastExitReason == server::ExitReason::Failed)
        text += " (exit " + std::to_string(s.lastExitStatus) + ")";
    return text;
}

WorkerInfo ServerBackend::workerInfo(uint32_t slot, const server::SlotSnapshot &s, int64_t nowMs, int64_t nowNs,
                                     bool withProcInfo) const
{
    WorkerInfo w;
    w.slot = slot;
    w.pid = s.pid;
    w.generation = s.generation;
    w.state = std::string(server::workerStateName(s.state)); // what the worker itself stored
    const bool serving = s.state != WorkerState::Idle && s.state != WorkerState::Starting;
    w.peer = serving ? s.peer : "";
    w.connection = serving ? int64_t(s.connectionId) : 0;
    w.path = serving ? s.path : "";
    w.security = serving ? s.security : "";
    w.token = serving ? s.tokenId : "";
    w.tokenLabel = serving ? s.tokenLabel : "";
    w.bytesSent = int64_t(s.bytesSent);
    w.bytesTotal = int64_t(s.bytesTotal);
    w.transferStartMs = toWallMs(s.transferStartNs, nowMs, nowNs);
    w.lastProgressMs = toWallMs(s.lastProgressNs, nowMs, nowNs);
    w.requests = int64_t(s.requestsServed);
    w.lastExit = lastExitText(slot, s);
    if (withProcInfo) {
        const ProcInfo proc = readProcInfo(s.pid);
        w.openFds = proc.openFds;
        w.rssBytes = proc.rssBytes;
        w.cpuMs = proc.cpuMs;
    }
    return w;
}

int64_t ServerBackend::recentCrashes(int64_t nowNs, uint64_t crashedTotal)
{
    // One sample a second at most: status requests may come much faster, the window stays small.
    if (m_crashSamples.empty() || nowNs - m_crashSamples.back().first >= 1'000'000'000)
        m_crashSamples.emplace_back(nowNs, crashedTotal);
    while (m_crashSamples.size() > 1 && nowNs - m_crashSamples[1].first >= CrashWindowNs)
        m_crashSamples.pop_front();
    return int64_t(crashedTotal - m_crashSamples.front().second);
}

void ServerBackend::fillPool(StatusSnapshot &status)
{
    const server::DispatcherStats stats = m_parent.dispatcher().stats();
    const pool::PoolHealth health = m_pool.health();
    const pool::PoolLimits &limits = m_pool.limits();
    const server::ControlBlock &control = m_parent.scoreboard().control();
    PoolInfo &p = status.pool;
    p.capacity = m_parent.scoreboard().slotCount();
    p.maxWorkersReached = int64_t(m_pool.maxWorkersReached());
    p.pending = stats.pending;
    p.pendingMax = stats.maxPendingSeen;
    p.pendingLimit = m_parent.options().maxPending;
    p.parked = stats.parked;
    p.accepted = int64_t(stats.accepted);
    p.rejectedBusy = int64_t(stats.rejectedBusy + stats.rejectedPerIp + stats.rejectedDraining);
    p.bytesSent = int64_t(m_pool.bytesSent());
    p.breakerState = health.respawnBlocked ? "open" : health.backoffSlots > 0 ? "backoff" : "closed";
    p.recentCrashes = recentCrashes(server::monotonicNs(), health.crashed);
    p.backoffMs = health.backoffMs;
    p.limits = {limits.minSpare, limits.maxSpare, limits.maxWorkers, int64_t(limits.maxRequests),
                limits.stallTimeoutS};
    p.ratePerConnection = int64_t(control.perConnectionRate.load());
    p.rateGlobal = int64_t(control.globalRate.load());
    p.ratePerIp = int64_t(control.perAddressRate.load());
}

StatusSnapshot ServerBackend::status(bool withProcInfo)
{
    StatusSnapshot status;
    status.nowMs = wallClockMs();
    const int64_t nowNs = server::monotonicNs();
    ServerInfo &s = status.server;
    s.version = FERRY_VERSION;
    s.pid = ::getpid();
    s.startedMs = m_parent.startedNs() > 0 ? toWallMs(m_parent.startedNs(), status.nowMs, nowNs) : status.nowMs;
    s.generation = m_parent.scoreboard().control().generation.load();
    s.listen = m_parent.listenAddress();
    s.root = m_parent.options().root;
    s.identity = m_parent.fingerprint();
    s.plaintext = server::plaintextPolicyName(m_parent.options().plaintext);
    s.state = m_parent.isShuttingDown() ? "stopping" : m_parent.isDraining() ? "draining" : "accepting";
    fillPool(status);
    server::Scoreboard &board = m_parent.scoreboard();
    for (uint32_t i = 0; i < board.slotCount(); ++i) {
        // A torn read (the owner died inside its write section, not reaped yet) is left out of this answer.
        const std::optional<server::SlotSnapshot> read = server::readSlot(board.slot(i));
        if (!read || read->state == WorkerState::Empty || read->pid <= 0)
            continue;
        const server::SlotSnapshot &snap = *read;
        countWorker(status.pool, snap.state);
        status.workers.push_back(workerInfo(i, snap, status.nowMs, nowNs, withProcInfo));
    }
    return status;
}

CommandResult ServerBackend::setPoolLimits(const PoolLimitsChange &change)
{
    pool::PoolLimits limits = m_pool.limits();
    const int64_t capacity = m_parent.scoreboard().slotCount();
    if (change.maxWorkers && *change.maxWorkers > capacity)
        return CommandResult::failure(ErrorCode::BadArgument, "\"max_workers\" must be at most the capacity, " +
                                                                  std::to_string(capacity) + " (--max-workers)");
    limits.minSpare = uint32_t(change.minSpare.value_or(limits.minSpare));
    limits.maxSpare = uint32_t(change.maxSpare.value_or(limits.maxSpare));
    limits.maxWorkers = uint32_t(change.maxWorkers.value_or(limits.maxWorkers));
    limits.maxRequests = uint64_t(change.maxRequests.value_or(int64_t(limits.maxRequests)));
    if (std::string conflict = pool::limitsConflict(limits); !conflict.empty())
        return CommandResult::failure(ErrorCode::BadArgument, std::move(conflict));
    m_pool.setLimits(limits);
    return CommandResult::success(Json{{
        "limits", toJson(PoolLimitsInfo{limits.minSpare, limits.maxSpare, limits.maxWorkers,
                                        int64_t(limits.maxRequests), limits.stallTimeoutS})}});
}

CommandResult ServerBackend::drain()
{
    if (m_parent.isShuttingDown())
        return CommandResult::failure(ErrorCode::Conflict, "the server is shutting down");
    m_parent.drain();
    return CommandResult::success(Json{{"state", "draining"}});
}

CommandResult ServerBackend::resume()
{
    if (m_parent.isShuttingDown())
        return CommandResult::failure(ErrorCode::Conflict, "the server is shutting down");
    m_parent.resume();
    return CommandResult::success(Json{{"state", "accepting"}});
}

CommandResult ServerBackend::reload()
{
    if (m_parent.isShuttingDown())
        return CommandResult::failure(ErrorCode::Conflict, "the server is shutting down");
    std::string error;
    if (!m_parent.reload(&error))
        return CommandResult::failure(ErrorCode::Failed, "reload refused, configuration unchanged: " + error);
    return CommandResult::success(
        Json{{"generation", int64_t(m_parent.scoreboard().control().generation.load())}});
}

CommandResult ServerBackend::killWorker(uint32_t slot, bool graceful)
{
    server::Scoreboard &board = m_parent.scoreboard();
    const int32_t pid = slot < board.slotCount() ? board.slot(slot).pid.load() : 0;
    m_pool.noteExit(slot, pid, graceful ? "stopped by admin" : "killed by admin");
    server::Supervisor &supervisor = m_parent.supervisor();
    if (pid <= 0 || !(graceful ? supervisor.stopWorker(slot) : supervisor.killWorker(slot)))
        return notFound("no worker in slot " + std::to_string(slot));
    return CommandResult::success(Json{{"slot", int64_t(slot)}, {"pid", int64_t(pid)}});
}

CommandResult ServerBackend::setRateLimit(std::optional<uint64_t> perConnection, std::optional<uint64_t> global,
                                          std::optional<uint64_t> perIp)
{
    server::ControlBlock &control = m_parent.scoreboard().control();
    const uint64_t per = perConnection.value_or(control.perConnectionRate.load());
    const uint64_t all = global.value_or(control.globalRate.load());
    const uint64_t address = perIp.value_or(control.perAddressRate.load());
    m_parent.setRateLimit(per, all, address);
    return CommandResult::success(Json{{
        "rate_limit", {{"per_connection", per}, {"global", all}, {"per_ip", address}}}});
}

CommandResult ServerBackend::disconnect(std::optional<uint64_t> connection, std::optional<uint32_t> slot)
{
    uint64_t id = connection.value_or(0);
    if (slot) {
        server::Scoreboard &board = m_parent.scoreboard();
        id = *slot < board.slotCount() ? board.slot(*slot).connectionId.load() : 0;
        if (id == 0)
            return notFound("the worker in slot " + std::to_string(*slot) + " serves no connection");
    }
    if (!m_parent.disconnect(id))
        return notFound("no open connection " + std::to_string(id));
    return CommandResult::success(Json{{"connection", id}});
}

} // namespace ferry::admin
