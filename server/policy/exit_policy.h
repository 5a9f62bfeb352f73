// Pool policy as pure functions of plain values, so it can be tested with tables. The supervisor and the
// dispatcher only carry these decisions out.
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

// Whether to start a replacement at all (FatalConfig never; nothing while shutting down).
bool shouldRespawn(ExitReason reason, bool shuttingDown);

// The retry-after hint in a BUSY reply: longer the more work is queued per worker, within [250 ms, 10 s].
uint32_t retryAfterMs(uint32_t pending, uint32_t workers);

} // namespace ferry::server::policy
