// The pool's mechanism: forks workers into scoreboard slots, hands them connections, hears them come back,
// stops, kills and reaps them, and starts new generations. It decides nothing about the pool's size: the
// pool manager (server/pool) asks the pure policy and calls spawn() and stopWorker() here, and hears every
// exit through PoolEvents. Runs on the parent's EventLoop; never blocks.
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
#include <span>
#include <vector>

namespace ferry::server {

// One worker process ended and was reaped; its slot is free again.
struct WorkerEnded {
    uint32_t slot = 0;
    pid_t pid = 0;
    ExitReason reason = ExitReason::None;
    int64_t lifetimeNs = 0;
    uint64_t totalBytesSent = 0; // body bytes it sent in its life, read before its slot was cleared
};

class Supervisor {
public:
    struct Hooks {
        // A worker returned a connection (Park: fd attached, watch it) or finished it (Done).
        std::function<void(HandoffMessage &&)> connectionReturned;
        // A worker died while holding this connection (the kernel closed the client's socket).
        std::function<void(uint64_t connectionId)> connectionLost;
        // A held dispatch (holdDispatches()) could not be sent after all: the connection (fd attached, its
        // bytes as dispatched) is the caller's again, to queue for another worker.
        std::function<void(HandoffMessage &&)> dispatchUndelivered;
        // A worker takes connections (again): queued connections may be dispatched.
        std::function<void()> workerAvailable;
        // After stopAll(): the last worker has been reaped.
        std::function<void()> allStopped;
    };

    // What the pool controller hears, to decide what to do about it.
    struct PoolEvents {
        // A worker was reaped (after its connections were settled). The slot is free.
        std::function<void(const WorkerEnded &)> workerEnded;
        // startGeneration() began a new generation, which has no workers yet.
        std::function<void()> generationStarted;
    };

    Supervisor(EventLoop &loop, Scoreboard &scoreboard, const Jail &jail, Millis sendTimeout, Hooks hooks);
    ~Supervisor();
    // Set by the pool manager. Its callbacks may call back into the Supervisor (spawn(), stopWorker()).
    void setPoolEvents(PoolEvents events) { m_poolEvents = std::move(events); }

    // The TLS context and timeouts given to workers forked from now on (a reload sets a new one first).
    void setWorkerTls(WorkerTls tls) { m_tls = std::move(tls); }
    // The manifest cache and stream count given to workers forked from now on.
    void setWorkerManifests(WorkerManifests manifests) { m_manifests = std::move(manifests); }
    // The access policy given to workers forked from now on (a reload sets a new one first).
    void setWorkerAccess(WorkerAccess access) { m_access = std::move(access); }
    // The audit log workers forked from now on write to (not owned; null = none).
    void setAuditLog(audit::AuditLog *log) { m_audit = log; }
    // Forks a worker of the current generation into `slot`, which must hold no process. False (logged) if
    // the slot is taken, the server is stopping, or socketpair()/fork() failed; also if the new worker's
    // channel cannot be watched (the worker is killed, and its exit is reported like any other).
    bool spawn(uint32_t slot);
    // Gives the connection in `message` (fd attached) to a worker that takes connections (see
    // pickAvailable()). Returns the slot, or -1 if none does; only then is `message` left as it was.
    // Held (holdDispatches()), the message waits for flushDispatches() in the worker's outbox.
    int dispatch(HandoffMessage &&message);
    // Until flushDispatches(), dispatches are gathered per worker and then sent as one datagram to each:
    // a burst of accepts costs one sendmsg and one wake-up per worker instead of one per connection.
    void holdDispatches() { m_holding = true; }
    // Sends what was held. A batch that cannot be sent comes back through Hooks::dispatchUndelivered.
    void flushDispatches();
    // Reaps every exited child (call on SIGCHLD). Safe to call at any time.
    void reap();

    // Workers that take connections now: not stopping, not in a long response, below
    // MaxConnectionsPerWorker. Dispatch availability, not a scoreboard state.
    uint32_t availableCount() const { return uint32_t(m_available.size()); }
    uint32_t aliveCount() const { return uint32_t(m_workers.size()); }
    uint32_t generation() const { return m_generation; }
    // No process holds the slot (none was forked into it, or its last one was reaped). The parent's own
    // record, not the scoreboard's: shared memory a worker writes is not trusted to say so.
    bool isSlotFree(uint32_t slot) const { return slot < m_slotUsed.size() && !m_slotUsed[slot]; }

    // New generation: workers forked from now on belong to it and use `sendTimeout`. Older workers keep
    // running until stopped (PoolEvents::generationStarted lets the pool replace them).
    void startGeneration(Millis sendTimeout);
    // Graceful: the worker finishes its current response, hands its connections back and exits. False: no
    // worker in that slot.
    bool stopWorker(uint32_t slot);
    // SIGKILL now. False: no worker in that slot.
    bool killWorker(uint32_t slot);
    // Asks the worker serving `connectionId` to abort it between chunks. False if no worker holds it.
    bool abortConnection(uint64_t connectionId);
    // Shutdown: no more spawns; workers exit once their current response is done.
    void stopAll();
    // Grace period over: SIGKILL whatever is left.
    void killAll();
    bool isStopping() const { return m_stopping; }

private:
    struct Worker {
        pid_t pid = 0;
        uint32_t slot = 0;
        uint32_t generation = 0;
        std::vector<uint64_t> connections; // dispatched to it and not yet handed back or closed
        std::vector<uint64_t> tls;         // those of them that are TLS (never handed back)
        bool longWork = false;             // between its Busy and Ready
        bool stopRequested = false;        // its channel was shut down: it is on its way out
        bool killedByParent = false;       // the parent sent SIGKILL: its death is no crash
        int64_t startedNs = 0;
        UniqueFd channel;
        std::vector<HandoffMessage> outbox; // held dispatches (supervisor_batch.cpp), counted in `connections`
    };

    ExitReason recordExit(const Worker &worker, int status); // scoreboard, log
    // One datagram per readable event: the channel is level-triggered, so the loop's next epoll_wait()
    // reports it again if more is queued, and the usual single report costs no recvmsg() that fails.
    void onChannel(pid_t pid, uint32_t events);
    // Receives and handles one datagram from the worker. Returns whether one was read (read again to drain).
    bool receiveOne(pid_t pid);
    void onMessage(Worker &worker, HandoffMessage &&message);
    void onProtocolError(Worker &worker);
    // Lists or unlists the worker among those that take connections; returns whether it takes them.
    bool updateAvailability(Worker &worker);
    // Among the most recently available workers, one per CPU, the one holding the fewest connections.
    Worker *pickAvailable();
    void requestStop(Worker &worker);
    void sigkill(Worker &worker);
    void closeChannel(Worker &worker);
    // Hands a held batch back to the dispatcher, unsent; the worker no longer counts it as its own.
    void returnUndelivered(Worker &worker, std::span<HandoffMessage> messages);
    void onExit(pid_t pid, int status);
    Worker *findBySlot(uint32_t slot);

    EventLoop &m_loop;
    Scoreboard &m_scoreboard;
    const Jail &m_jail;
    Millis m_sendTimeout;
    WorkerTls m_tls;
    WorkerManifests m_manifests;
    WorkerAccess m_access;
    audit::AuditLog *m_audit = nullptr;
    Hooks m_hooks;
    PoolEvents m_poolEvents;
    std::unordered_map<pid_t, Worker> m_workers;
    std::vector<pid_t> m_available; // workers that take connections, the most recently available last
    std::vector<bool> m_slotUsed;
    uint32_t m_cpuCount = 1; // CPUs this process may run on: how many workers share the active clients
    uint32_t m_generation = 1;
    bool m_stopping = false;
    bool m_holding = false;             // dispatches go to outboxes until flushDispatches()
    std::vector<pid_t> m_withOutbox;    // workers whose outbox holds something
};

} // namespace ferry::server
