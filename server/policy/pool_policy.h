// Pool policy: pure decisions over a snapshot of the scoreboard. No clock reads, no syscalls; the
// supervisor gathers a PoolView once a second, calls decide(), and carries the Decision out.
// Apache prefork's maintenance loop is the model (spawn rate doubling up to 32, one retirement per
// second); the watchdog is Ferry's own: it looks at progress, never at duration.
#pragma once

#include "ipc/scoreboard.h"

#include <cstdint>
#include <optional>
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
    bool stopRequested = false;  // the parent already asked it to exit
    int64_t abortRequestedNs = 0; // when the watchdog asked it to abort; 0 = not asked
};

struct PoolView {
    std::vector<WorkerView> workers; // slots with a process (state != Empty)
    uint32_t capacity = 0;           // scoreboard slots
    uint32_t currentGeneration = 1;
    uint32_t pending = 0;            // connections waiting for a worker
    int64_t nowNs = 0;               // monotonic
    bool accepting = true;           // false while the server stops: never spawn for spares then
};

// Carried from one tick to the next.
struct PolicyState {
    uint32_t spawnRate = 1; // doubles each tick the pool is still short, back to 1 when it is not
};

struct Decision {
    uint32_t spawn = 0;                     // fork this many new-generation workers now
    std::optional<uint32_t> retire;         // ask this slot to exit gracefully (surplus)
    std::vector<uint32_t> stopOldGeneration; // workers of an older generation: exit gracefully
    std::vector<uint32_t> recycle;          // served maxRequests: exit gracefully
    std::vector<uint32_t> abortStalled;     // no progress for stallTimeout: abort the transfer (worker recycled)
    std::vector<uint32_t> killStalled;      // asked to abort StallKillGraceNs ago and still stuck: SIGKILL
    bool maxWorkersReached = false;         // wanted to grow but was at maxWorkers
};

// A worker that will take new work: not asked to stop, current generation, starting or idle.
// Starting counts as idle (Apache does the same) so a slow fork is not answered with more forks.
bool isSpare(const WorkerView &w, uint32_t currentGeneration);
// A worker that counts toward maxWorkers: alive, current generation, not on its way out.
bool isActive(const WorkerView &w, uint32_t currentGeneration);

// One maintenance tick. Cost: O(workers).
Decision decide(const PoolView &view, const PoolLimits &limits, PolicyState &state);

// The watchdog alone (decide() calls it); exposed for tests.
void checkStalls(const PoolView &view, const PoolLimits &limits, Decision &decision);

} // namespace ferry::pool
