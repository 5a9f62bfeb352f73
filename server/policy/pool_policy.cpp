#include "policy/pool_policy.h"

#include <algorithm>

namespace ferry::pool {

std::string limitsConflict(const PoolLimits &limits)
{
    const auto clash = [&](const char *other, uint32_t value) {
        return "\"min_spare\" (" + std::to_string(limits.minSpare) + ") must not exceed \"" + other + "\" (" +
               std::to_string(value) + ")";
    };
    if (limits.minSpare > limits.maxSpare)
        return clash("max_spare", limits.maxSpare);
    if (limits.minSpare > limits.maxWorkers)
        return clash("max_workers", limits.maxWorkers);
    return {};
}

bool isSpare(const WorkerView &w, uint32_t currentGeneration)
{
    return !w.stopRequested && w.generation >= currentGeneration
        && (w.state == WorkerState::Idle || w.state == WorkerState::Starting);
}

bool isActive(const WorkerView &w, uint32_t currentGeneration)
{
    return w.state != WorkerState::Empty && w.state != WorkerState::Stopping && !w.stopRequested
        && w.generation >= currentGeneration;
}

namespace {

uint32_t shortfall(uint32_t wanted, uint32_t have) { return wanted > have ? wanted - have : 0; }

struct Census {
    uint32_t active = 0;  // current generation, staying
    uint32_t spare = 0;   // of those, the ones that take new work
    uint32_t leaving = 0; // current generation, asked to exit (recycled, stopped by the watchdog or an admin)
};

// Sorts the live workers: an older generation's to stop, worn-out ones to recycle, the rest counted.
Census takeCensus(const PoolView &view, const PoolLimits &limits, Decision &decision)
{
    Census census;
    for (const WorkerView &w : view.workers) {
        if (w.state == WorkerState::Empty)
            continue;
        if (w.generation < view.currentGeneration && !w.stopRequested) {
            decision.stopOldGeneration.push_back(w.slot);
            continue;
        }
        if (!isActive(w, view.currentGeneration)) {
            census.leaving += w.generation >= view.currentGeneration;
            continue;
        }
        if (limits.maxRequests > 0 && w.requests >= limits.maxRequests) {
            decision.recycle.push_back(w.slot);
            ++census.leaving; // on its way out: neither active nor spare any more
            continue;
        }
        ++census.active;
        if (isSpare(w, view.currentGeneration))
            ++census.spare;
    }
    return census;
}

// A new generation starts again at the configured size; the target never exceeds maxWorkers.
void adoptGeneration(const PoolView &view, const PoolLimits &limits, PolicyState &state)
{
    if (state.generation != view.currentGeneration) {
        state.generation = view.currentGeneration;
        state.target = limits.baseWorkers;
        state.spawnRate = 1;
    }
    state.target = std::min(state.target, limits.maxWorkers);
}

// On a tick: grow when short of spares, or when connections queue with nobody free (minSpare 0 still
// serves demand). Replacements still to come count as spares: they start as spares. Returns how many
// workers the target grows by.
uint32_t planGrowth(const PoolView &view, const PoolLimits &limits, PolicyState &state, const Census &census,
                    uint32_t missing, Decision &decision)
{
    if (!view.isTick)
        return 0;
    const uint32_t spareSoon = census.spare + missing;
    const uint32_t wanted = std::max(shortfall(limits.minSpare, spareSoon), shortfall(view.pending, spareSoon));
    if (wanted == 0 || !view.accepting || state.respawnBlocked) {
        state.spawnRate = 1;
        return 0;
    }
    const uint32_t headroom = shortfall(limits.maxWorkers, std::max(state.target, census.active));
    const uint32_t roomInSlots = shortfall(uint32_t(view.freeSlots.size()), missing);
    const uint32_t n = std::min({wanted, state.spawnRate, headroom, roomInSlots});
    if (n < wanted && (headroom <= n || roomInSlots <= n))
        decision.maxWorkersReached = true;
    state.spawnRate = std::min(state.spawnRate * 2, MaxSpawnRate);
    return n;
}

// The lowest free slots whose backoff is over, `count` at most; if that is too few and some free slots
// are still backing off, when the first of them may be used.
void placeSpawns(const PoolView &view, uint32_t count, Decision &decision)
{
    int64_t earliestBlocked = 0;
    for (const FreeSlot &free : view.freeSlots) {
        if (free.notBeforeNs <= view.nowNs) {
            if (decision.spawn.size() < count)
                decision.spawn.push_back(free.slot);
        } else if (earliestBlocked == 0 || free.notBeforeNs < earliestBlocked) {
            earliestBlocked = free.notBeforeNs;
        }
    }
    if (decision.spawn.size() < count)
        decision.retryAtNs = earliestBlocked;
}

// Which workers go first: idle ones (they hand their connections back at once), then starting ones, then
// busy ones (they finish their response first); among equals the highest slot, so the low slots stay warm.
int retireRank(WorkerState state)
{
    if (state == WorkerState::Idle)
        return 0;
    return state == WorkerState::Starting ? 1 : 2;
}

void pickRetirements(const PoolView &view, uint32_t count, bool idleOnly, Decision &decision)
{
    std::vector<const WorkerView *> candidates;
    for (const WorkerView &w : view.workers)
        if (isActive(w, view.currentGeneration) && (!idleOnly || w.state == WorkerState::Idle)
            && std::find(decision.recycle.begin(), decision.recycle.end(), w.slot) == decision.recycle.end())
            candidates.push_back(&w);
    std::sort(candidates.begin(), candidates.end(), [](const WorkerView *a, const WorkerView *b) {
        const int ra = retireRank(a->state), rb = retireRank(b->state);
        return ra != rb ? ra < rb : a->slot > b->slot;
    });
    for (size_t i = 0; i < candidates.size() && i < count; ++i)
        decision.retire.push_back(candidates[i]->slot);
}

// Over the target (max_workers was lowered): the whole surplus goes at once. Otherwise, on a tick, one idle
// worker beyond maxSpare, and the target follows it down.
void planRetirement(const PoolView &view, const PoolLimits &limits, PolicyState &state, const Census &census,
                    Decision &decision)
{
    if (const uint32_t surplus = shortfall(census.active, state.target); surplus > 0) {
        pickRetirements(view, surplus, false, decision);
        return;
    }
    if (!view.isTick || census.spare <= limits.maxSpare)
        return;
    pickRetirements(view, 1, true, decision);
    if (!decision.retire.empty())
        state.target = census.active - 1;
}

} // namespace

void checkStalls(const PoolView &view, const PoolLimits &limits, Decision &decision)
{
    if (limits.stallTimeoutS == 0)
        return;
    const int64_t timeoutNs = int64_t(limits.stallTimeoutS) * 1'000'000'000;
    for (const WorkerView &w : view.workers) {
        // Only a body in flight can stall; a worker waiting to read a request is the parent's idle timeout.
        if (w.transferStartNs == 0 || !(w.state == WorkerState::Sending || w.state == WorkerState::Stopping))
            continue;
        if (w.abortRequestedNs != 0) {
            if (view.nowNs - w.abortRequestedNs >= StallKillGraceNs)
                decision.killStalled.push_back(w.slot);
            continue;
        }
        const int64_t lastMove = std::max(w.lastProgressNs, w.transferStartNs);
        if (view.nowNs - lastMove >= timeoutNs)
            decision.abortStalled.push_back(w.slot);
    }
}

Decision decide(const PoolView &view, const PoolLimits &limits, PolicyState &state)
{
    Decision decision;
    adoptGeneration(view, limits, state);
    const Census census = takeCensus(view, limits, decision);
    const bool mayFork = view.accepting && !state.respawnBlocked;
    // Dead workers and an older generation's are replaced at once, not at the spawn rate: the target was
    // granted already. One of this generation on its way out keeps its place until it has exited (its
    // replacement then takes the lowest free slot, usually its own).
    const uint32_t missing = mayFork ? shortfall(state.target, census.active + census.leaving) : 0;
    const uint32_t growth = planGrowth(view, limits, state, census, missing, decision);
    if (growth > 0)
        state.target = std::max(state.target, census.active) + growth;
    if (missing + growth > 0)
        placeSpawns(view, missing + growth, decision);
    else
        planRetirement(view, limits, state, census, decision);
    checkStalls(view, limits, decision);
    return decision;
}

} // namespace ferry::pool
