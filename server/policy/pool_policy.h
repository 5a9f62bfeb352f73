// Pool policy: pure decisions over a snapshot of the scoreboard. No clock reads, no syscalls. It is the
// pool's only decision maker: how many workers it aims for, which free slots to fork into, which workers
// to retire, recycle or cut off. The pool manager (server/pool) gathers a PoolView once a second and on
// every event that changes the pool (a worker ended, a reload, new limits), calls decide(), and has the
// Supervisor carry the Decision out.
// Apache prefork's maintenance loop is the model (spawn rate doubling up to 32, one retirement per
// second); the watchdog is Ferry's own: it looks at progress, never at duration.
#pragma once

#include "ipc/scoreboard.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::pool {

using ferry::server::WorkerState;
using ferry::server::isBusy;

struct PoolLimits {
    uint32_t minSpare = 2;
    uint32_t maxSpare = 8;
    uint32_t maxWorkers = 32;
    uint64_t maxRequests = 0;    // recycle a worker after this many requests; 0 = never
    uint32_t stallTimeoutS = 30; // abort a transfer with no progress for this long; 0 = watchdog off
    uint32_t baseWorkers = 0;    // --workers: the size each generation starts at (before spares move it)
};

constexpr uint32_t MaxSpawnRate = 32;         // forks per maintenance tick at most (Apache's limit)
constexpr int64_t StallKillGraceNs = 2'000'000'000; // after asking a stalled worker to abort, wait this long

struct WorkerView {
    uint32_t slot = 0;
    WorkerState state = WorkerState::Empty;
    uint32_t generation = 0;
    uint64_t requests = 0;
    uint64_t connectionId = 0;
    int64_t transferStartNs = 0; // 0: no body in flight
    int64_t lastProgressNs = 0;
    bool stopRequested = false;  // the parent already asked it to exit (it may not have noticed yet)
    int64_t abortRequestedNs = 0; // when the watchdog asked it to abort; 0 = not asked
};

// A scoreboard slot with no process in it.
struct FreeSlot {
    uint32_t slot = 0;
    int64_t notBeforeNs = 0; // crash-loop backoff: no fork into it before then (monotonic; 0 = now)
};

struct PoolView {
    std::vector<WorkerView> workers; // slots with a process (state != Empty)
    std::vector<FreeSlot> freeSlots; // the other slots, lowest first
    uint32_t currentGeneration = 1;
    uint32_t pending = 0;            // connections waiting for a worker
    int64_t nowNs = 0;               // monotonic
    bool accepting = true;           // false while the server stops: never spawn then
    // The once-a-second maintenance tick. Growing for spares and retiring surplus spares happen only on a
    // tick, so the spawn rate ramps per second and idle workers retire one a second (a retired worker's
    // exit must not set off the next retirement at once). Replacing dead workers, a new generation,
    // shrinking below max_workers, recycling and the watchdog happen on every decision.
    bool isTick = true;
};

// Carried from one decision to the next.
struct PolicyState {
    uint32_t spawnRate = 1;      // doubles each tick the pool is still short, back to 1 when it is not
    uint32_t target = 0;         // workers of the current generation the pool aims for
    uint32_t generation = 0;     // the generation `target` is for; a newer one starts again at baseWorkers
    bool respawnBlocked = false; // a worker reported a fatal configuration error (shouldRespawn): fork nothing
};

struct Decision {
    std::vector<uint32_t> spawn;             // fork a new-generation worker into each of these free slots
    std::vector<uint32_t> retire;            // surplus: exit gracefully (idle ones first, highest slot first)
    std::vector<uint32_t> stopOldGeneration; // workers of an older generation: exit gracefully
    std::vector<uint32_t> recycle;           // served maxRequests: exit gracefully
    std::vector<uint32_t> abortStalled;      // no progress for stallTimeout: abort the transfer (worker recycled)
    std::vector<uint32_t> killStalled;       // asked to abort StallKillGraceNs ago and still stuck: SIGKILL
    bool maxWorkersReached = false;          // wanted to grow but was at maxWorkers (or out of slots)
    int64_t retryAtNs = 0;                   // short of workers, free slots backing off: decide again then
};

// A worker that will take new work: not asked to stop, current generation, starting or idle.
// Starting counts as idle (Apache does the same) so a slow fork is not answered with more forks.
bool isSpare(const WorkerView &w, uint32_t currentGeneration);
// A worker that counts toward the target and maxWorkers: alive, current generation, not on its way out.
bool isActive(const WorkerView &w, uint32_t currentGeneration);

// One decision. Updates `state` (target, spawn rate). Cost: O(slots).
// Why these limits contradict each other ("" when they do not): spares the pool could never keep, because
// min_spare is above max_spare or above max_workers. The message names both values, for an admin to read.
std::string limitsConflict(const PoolLimits &limits);

Decision decide(const PoolView &view, const PoolLimits &limits, PolicyState &state);

// The watchdog alone (decide() calls it); exposed for tests.
void checkStalls(const PoolView &view, const PoolLimits &limits, Decision &decision);

} // namespace ferry::pool
