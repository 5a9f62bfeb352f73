// The worker pool: forks workers into scoreboard slots, hands them connections, hears them come back,
// reaps them, and restarts them with crash-loop backoff. Each operation an admin can ask for is a method.
// Runs on the parent's EventLoop; never blocks.
#pragma once

#include "net/event_loop.h"
#include "ipc/handoff.h"
#include "worker/jail.h"
#include "worker/worker.h"
#include "base/duration.h"
#include "ipc/scoreboard.h"

#include <functional>
#include <sys/types.h>
#include <unordered_map>
#include <vector>

namespace ferry::server {

enum class WorkerPhase {
    Idle,     // takes connections: waiting in its loop, perhaps holding a few active ones (a freshly forked
              // worker counts as idle: the channel buffers)
    Busy,     // in a long response (it said Busy), or holding MaxConnectionsPerWorker (plaintext) or
              // MaxTlsConnectionsPerWorker (TLS)
    Stopping, // told to stop; exits when its current response is done and its connections are handed back
};

struct PoolStatus {
    uint32_t target = 0;     // workers of the current generation wanted
    uint32_t maxWorkers = 0; // scoreboard slots
    uint32_t alive = 0, idle = 0, busy = 0, stopping = 0;
    uint32_t generation = 0;
    uint64_t spawned = 0, crashed = 0;
    uint32_t backoffSlots = 0; // slots waiting out a crash-loop delay
    int64_t backoffMs = 0;     // the longest of those delays still to run (admin status)
    bool fatal = false;        // a worker reported a fatal configuration error; no more respawns
};

class Supervisor {
public:
    struct Hooks {
        // A worker returned a connection (Park: fd attached, watch it) or finished it (Done).
        std::function<void(HandoffMessage &&)> connectionReturned;
        // A worker died while holding this connection (the kernel closed the client's socket).
        std::function<void(uint64_t connectionId)> connectionLost;
        // A worker takes connections (again): queued connections may be dispatched.
        std::function<void()> workerAvailable;
        // After stopAll(): the last worker has been reaped.
        std::function<void()> allStopped;
    };

    Supervisor(EventLoop &loop, Scoreboard &scoreboard, const Jail &jail, Millis sendTimeout, Hooks hooks);
    ~Supervisor();

    // The TLS context and timeouts given to workers forked from now on (a reload sets a new one first).
    void setWorkerTls(WorkerTls tls) { m_tls = std::move(tls); }
    // Forks workers until `target` of the current generation are alive (bounded by free slots).
    void start(uint32_t target);
    // Gives the connection in `message` (fd attached; the caller keeps and closes its copy) to an idle
    // worker (see pickIdle()). Returns the slot, or -1 if no worker is idle.
    int dispatch(const HandoffMessage &message);
    // Reaps every exited child (call on SIGCHLD). Safe to call at any time.
    void reap();

    // ---- operations for the admin plane ----
    PoolStatus status() const;
    uint32_t idleCount() const { return uint32_t(m_idle.size()); }
    uint32_t aliveCount() const { return uint32_t(m_workers.size()); }
    // Grows now, or retires surplus idle workers (busy ones finish first).
    void setTargetWorkers(uint32_t target);
    // New generation: fresh workers take over; old ones finish their response, hand their connections
    // back, exit.
    void reload(uint32_t target, Millis sendTimeout);
    // graceful: finish the current response, hand the connections back, exit; otherwise SIGKILL now.
    // False: no such worker.
    bool killWorker(uint32_t slot, bool graceful);
    // Asks the worker serving `connectionId` to abort it between chunks. False if no worker holds it.
    bool abortConnection(uint64_t connectionId);
    // Shutdown: no more respawns; workers exit once their current response is done.
    void stopAll();
    // Grace period over: SIGKILL whatever is left.
    void killAll();
    bool isStopping() const { return m_stopping; }

private:
    struct Worker {
        pid_t pid = 0;
        uint32_t slot = 0;
        uint32_t generation = 0;
        WorkerPhase phase = WorkerPhase::Idle;
        std::vector<uint64_t> connections; // dispatched to it and not yet handed back or closed
        std::vector<uint64_t> tls;         // those of them that are TLS (never handed back)
        bool longWork = false;             // between its Busy and Ready
        int64_t startedNs = 0;
        bool killedByParent = false;
        UniqueFd channel;
    };
    struct SlotHealth {
        uint32_t failures = 0;
        int64_t notBeforeNs = 0;
    };

    bool spawn(uint32_t slot);
    ExitReason recordExit(const Worker &worker, int status);           // scoreboard, backoff, log
    void maintain();
    void onChannel(pid_t pid, uint32_t events);
    void onMessage(Worker &worker, HandoffMessage &&message);
    void onProtocolError(Worker &worker);
    // Moves the worker between Idle and Busy as its load says; returns whether it takes connections.
    bool updateAvailability(Worker &worker);
    Worker *pickIdle(bool spread);
    void stopWorker(Worker &worker);
    void closeChannel(Worker &worker);
    void onExit(pid_t pid, int status);
    void removeIdle(pid_t pid);
    int freeSlot(int64_t now) const;
    Worker *findBySlot(uint32_t slot);

    EventLoop &m_loop;
    Scoreboard &m_scoreboard;
    const Jail &m_jail;
    Millis m_sendTimeout;
    WorkerTls m_tls;
    Hooks m_hooks;
    std::unordered_map<pid_t, Worker> m_workers;
    std::vector<pid_t> m_idle; // workers that take connections, the most recently available last
    std::vector<bool> m_slotUsed;
    std::vector<SlotHealth> m_health;
    uint32_t m_cpuCount = 1; // CPUs this process may run on: how many workers share the active clients
    uint32_t m_target = 0;
    uint32_t m_generation = 1;
    uint64_t m_spawned = 0, m_crashed = 0;
    EventLoop::TimerId m_maintainTimer = 0;
    bool m_stopping = false;
    bool m_fatal = false;
};

} // namespace ferry::server
