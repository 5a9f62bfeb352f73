// The pool's controller: the one place where the pure policy's decisions (policy/pool_policy.h) become
// Supervisor calls (fork into a slot, stop, kill, abort a transfer). It decides once a second (the
// maintenance tick) and at once whenever the pool changes under it: a worker ended (a crashed worker's
// first replacement is immediate), a reload started a generation (new workers first, then the old ones
// retire), an admin changed the limits. It also keeps what outlives a worker process: each slot's
// crash-loop backoff and the breaker (exit policy), bytes sent by dead workers, why the pool retired a slot.
#pragma once

#include "parent/dispatcher.h"
#include "net/event_loop.h"
#include "policy/exit_policy.h"
#include "policy/pool_policy.h"
#include "ipc/scoreboard.h"
#include "parent/supervisor.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ferry::server {
struct Options;
}

namespace ferry::pool {

// The pool limits a configuration asks for (--workers, --min-spare, --max-spare, --pool-max-workers,
// --max-requests, --stall-timeout), made consistent with each other and with --max-workers.
PoolLimits limitsFrom(const server::Options &options);

// What the admin plane shows about the controller.
struct PoolHealth {
    uint32_t backoffSlots = 0;   // free slots waiting out a crash-loop delay
    int64_t backoffMs = 0;       // the longest of those delays still to run
    bool respawnBlocked = false; // a worker reported a fatal configuration error: nothing is forked
    uint64_t crashed = 0;        // workers that died abnormally since start
};

class PoolManager {
public:
    // `configured` gives the limits of the configuration in force; it is asked again whenever a reload
    // starts a new generation (a reload re-reads the config file, which overrides live changes).
    // Forks the first workers at once (before the parent's loop runs).
    PoolManager(server::EventLoop &loop, server::Scoreboard &scoreboard, server::Supervisor &supervisor,
                server::Dispatcher &dispatcher, std::function<PoolLimits()> configured);
    ~PoolManager();
    PoolManager(const PoolManager &) = delete;
    PoolManager &operator=(const PoolManager &) = delete;

    const PoolLimits &limits() const { return m_limits; }
    // Decides at once: a lower max_workers retires the surplus now (idle ones first); growing for spares and
    // retiring spare ones converge one tick at a time.
    void setLimits(const PoolLimits &limits);
    // Runs one maintenance tick now (also called by the timer once a second).
    void tick();

    PoolHealth health() const;
    uint64_t maxWorkersReached() const { return m_maxWorkersReached; }
    // Body bytes sent since start by all processes, dead ones included. Refreshes from the scoreboard.
    uint64_t bytesSent();
    // Why the pool ended the last process of `slot`, if the pool did (e.g. "recycled after 1000 requests");
    // empty if it was not the pool's doing.
    std::string exitNote(uint32_t slot, int32_t exitPid) const;
    // Remembers why a process is being ended, for exitNote() (used by admin kill-worker too).
    void noteExit(uint32_t slot, int32_t pid, std::string why);

private:
    struct SlotMemory {
        int32_t pid = 0;
        uint64_t totalBytesSent = 0;
        uint64_t abortedConnection = 0; // the watchdog asked this connection to abort …
        int64_t abortRequestedNs = 0;   // … at this time
        int32_t notePid = 0;            // the process exitNote() talks about
        std::string note;
        server::policy::SlotHealth health; // crash-loop backoff of the slot
    };

    void decideNow(bool tick);
    void onWorkerEnded(const server::WorkerEnded &ended);
    void onGenerationStarted();
    PoolView buildView(int64_t now, bool tick);
    void carryOut(const Decision &decision, const PoolView &view);
    void spawnInto(const std::vector<uint32_t> &slots, int64_t now);
    void stopSlots(const std::vector<uint32_t> &slots, const std::string &why);
    void handleStalls(const Decision &decision, int64_t now);
    void scheduleRetry(int64_t atNs, int64_t now);
    void refreshBytes();

    server::EventLoop &m_loop;
    server::Scoreboard &m_scoreboard;
    server::Supervisor &m_supervisor;
    server::Dispatcher &m_dispatcher;
    std::function<PoolLimits()> m_configured;
    PoolLimits m_limits;
    PolicyState m_state;
    std::vector<SlotMemory> m_slots;
    uint64_t m_retiredBytes = 0;
    uint64_t m_maxWorkersReached = 0;
    uint64_t m_crashed = 0;
    bool m_wasAtMax = false;
    server::EventLoop::TimerId m_timer = 0;
    server::EventLoop::TimerId m_retryTimer = 0; // a backing-off slot may be used: decide again then
    int64_t m_retryAtNs = 0;
};

} // namespace ferry::pool
