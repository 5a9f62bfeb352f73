// The one clock the server measures intervals with: CLOCK_MONOTONIC in nanoseconds, so timeouts, rates
// and the scoreboard's times agree between the parent and its workers and never jump with the wall clock.
#pragma once

#include <cstdint>

namespace ferry::server {

int64_t monotonicNs();
// CLOCK_REALTIME in nanoseconds since the Unix epoch: only for dates people read or set (a token's
// expiry, when it was last used), never to measure an interval.
int64_t wallClockNs();

} // namespace ferry::server
