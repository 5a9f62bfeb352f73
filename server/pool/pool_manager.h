// The pool's maintenance tick: once a second it reads the scoreboard, asks the pure policy (policy.h)
// what to do, and carries that out through the Supervisor (grow or shrink its target, recycle, abort a
// stalled transfer, kill a worker that does not let go). Also keeps the counters the admin plane shows
// that outlive a worker process (bytes sent by dead workers, why the pool retired a slot).
#pragma once

#include "parent/dispatcher.h"
#include "net/event_loop.h"
#include "policy/pool_policy.h"
#include "ipc/scoreboard.h"
#include "parent/supervisor.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ferry::pool {

class PoolManager {
public:
    // `configured` gives the limits of the configuration in force; it is asked again whenever a reload
    // starts a new generation (a reload re-reads the config file, which overrides live changes).
    PoolManager(server::EventLoop &loop, server::Scoreboard &scoreboard, server::Supervisor &supervisor,
                server::Dispatcher &dispatcher, std::function<PoolLimits()> configured);
    ~PoolManager();
    PoolManager(const PoolManager &) = delete;
    PoolManager &operator=(const PoolManager &) = delete;

    const PoolLimits &limits() const { return m_limits; }
    // Takes effect at once: a lower max_workers shrinks the Supervisor's target now, the rest converges
    // one tick at a time.
    void setLimits(const PoolLimits &limits);
    // Runs one maintenance tick now (also called by the timer once a second).
    void tick();

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
    };

    PoolView buildView(int64_t now);
    void carryOut(const Decision &decision, const PoolView &view);
    void refreshBytes();
    uint32_t activeWorkers(const PoolView &view) const;

    server::EventLoop &m_loop;
    server::Scoreboard &m_scoreboard;
    server::Supervisor &m_supervisor;
    server::Dispatcher &m_dispatcher;
    std::function<PoolLimits()> m_configured;
    PoolLimits m_limits;
    uint32_t m_generation = 0;
    PolicyState m_state;
    std::vector<SlotMemory> m_slots;
    uint64_t m_retiredBytes = 0;
    uint64_t m_maxWorkersReached = 0;
    bool m_wasAtMax = false;
    server::EventLoop::TimerId m_timer = 0;
};

} // namespace ferry::pool
