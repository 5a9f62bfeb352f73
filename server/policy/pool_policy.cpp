#include "policy/pool_policy.h"

#include <algorithm>

namespace ferry::pool {

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

void planSpawns(const PoolView &view, const PoolLimits &limits, PolicyState &state, uint32_t active,
                uint32_t spare, Decision &decision)
{
    // Short of spares, or connections are queueing with nobody free: grow. minSpare 0 still serves demand.
    const uint32_t wanted = std::max(limits.minSpare > spare ? limits.minSpare - spare : 0u,
                                     view.pending > spare ? view.pending - spare : 0u);
    if (wanted == 0 || !view.accepting) {
        state.spawnRate = 1;
        return;
    }
    const uint32_t used = static_cast<uint32_t>(view.workers.size()); // every process holds a slot
    const uint32_t freeSlots = view.capacity > used ? view.capacity - used : 0;
    const uint32_t headroom = limits.maxWorkers > active ? limits.maxWorkers - active : 0;
    const uint32_t n = std::min({wanted, state.spawnRate, headroom, freeSlots});
    if (n < wanted && (headroom <= n || freeSlots <= n))
        decision.maxWorkersReached = true;
    decision.spawn = n;
    state.spawnRate = std::min(state.spawnRate * 2, MaxSpawnRate);
}

// One graceful retirement per tick: an idle surplus worker first (highest slot, so the low slots stay
// warm), or, when over maxWorkers with nobody idle, a busy one that will finish its response first.
void planRetirement(const PoolView &view, const PoolLimits &limits, uint32_t active, uint32_t spare,
                    Decision &decision)
{
    const bool tooManySpare = spare > limits.maxSpare;
    const bool tooMany = active > limits.maxWorkers;
    if (decision.spawn > 0 || (!tooManySpare && !tooMany))
        return;
    const WorkerView *idle = nullptr;
    const WorkerView *busy = nullptr;
    for (const WorkerView &w : view.workers) {
        if (!isActive(w, view.currentGeneration))
            continue;
        if (w.state == WorkerState::Idle && (!idle || w.slot > idle->slot))
            idle = &w;
        else if (isBusy(w.state) && (!busy || w.slot > busy->slot))
            busy = &w;
    }
    if (idle)
        decision.retire = idle->slot;
    else if (tooMany && busy)
        decision.retire = busy->slot;
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
    uint32_t active = 0;
    uint32_t spare = 0;
    for (const WorkerView &w : view.workers) {
        if (w.state == WorkerState::Empty)
            continue;
        if (w.generation < view.currentGeneration && !w.stopRequested) {
            decision.stopOldGeneration.push_back(w.slot);
            continue;
        }
        if (!isActive(w, view.currentGeneration))
            continue;
        if (limits.maxRequests > 0 && w.requests >= limits.maxRequests) {
            decision.recycle.push_back(w.slot);
            continue; // on its way out: neither active nor spare any more
        }
        ++active;
        if (isSpare(w, view.currentGeneration))
            ++spare;
    }
    planSpawns(view, limits, state, active, spare, decision);
    planRetirement(view, limits, active, spare, decision);
    checkStalls(view, limits, decision);
    return decision;
}

} // namespace ferry::pool
