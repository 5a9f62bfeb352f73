// Exit and respawn policy as pure functions of plain values, so it can be tested with tables. The pool
// manager and the dispatcher only carry these decisions out.
#pragma once

#include "ipc/scoreboard.h"

#include <chrono>
#include <cstdint>

namespace ferry::server::policy {

// How long to wait before restarting a slot whose last `consecutiveFailures` processes died young.
// The first failure is treated as a one-off (restart at once); then 250 ms doubling to a 30 s ceiling,
// so a worker that cannot start never becomes a fork storm.
std::chrono::milliseconds respawnDelay(uint32_t consecutiveFailures);

// A process that lived at least this long counts as healthy: its death resets the failure count.
constexpr int64_t HealthyLifetimeNs = 10'000'000'000;

// What a waitpid() status means. `killedByParent`: the parent sent the fatal signal on purpose.
ExitReason classifyExit(int waitStatus, bool killedByParent);

// Whether a death counts towards the crash-loop backoff.
bool countsAsFailure(ExitReason reason, int64_t lifetimeNs);

// Whether to start replacements at all after this exit: FatalConfig opens the breaker for good (the worker
// can never work with this configuration). Shutdown is the pool view's concern (PoolView::accepting).
bool shouldRespawn(ExitReason reason);

// A slot's crash-loop memory: how many of its processes in a row died young, and when it may be used again.
struct SlotHealth {
    uint32_t consecutiveFailures = 0;
    int64_t notBeforeNs = 0; // monotonic; 0 or past: a worker may be forked into the slot now
};

// The slot's health after one of its processes ended at `nowNs` having lived `lifetimeNs`: the failure
// count (countsAsFailure) and the delay before the slot is used again (respawnDelay).
SlotHealth healthAfterExit(const SlotHealth &before, ExitReason reason, int64_t lifetimeNs, int64_t nowNs);

// After a failed fork() the slot waits this long (Apache prefork sleeps after one too): the failure is
// the system's (EAGAIN, ENOMEM), and trying again at once would only fail again.
constexpr int64_t ForkRetryDelayNs = 1'000'000'000;

// The retry-after hint in a BUSY reply: longer the more work is queued per worker, within [250 ms, 10 s].
uint32_t retryAfterMs(uint32_t pending, uint32_t workers);

} // namespace ferry::server::policy
