// When to try a failed download again, and after how long. Pure: no timers, no I/O.
#pragma once

#include "clienttypes.h"

namespace ferry::client {

struct RetryPolicy {
    // For the retry limits below: keep trying for as long as it takes.
    static constexpr int Unlimited = -1;

    // Whether waiting and trying again can change the outcome. Yes for a server that
    // cannot be reached, went away, timed out, is draining or busy (ConnectionError,
    // ServerBusy); no for an answer about the file (RemoteError: not found, forbidden),
    // for the destination (LocalError: the user must free space or fix permissions)
    // and for a peer that does not speak Ferry (ProtocolError).
    static bool canRetryFix(ErrorKind kind);

    // Network failures in a row (no byte received in between) before the job fails.
    // A download manager waits out an outage; a script (ferry-get) wants an answer.
    int maxConnectionRetries = Unlimited;
    // Backoff for network failures: base * 2^(failures-1), capped, so that a waiting
    // job notices a returning server within maxBackoffMs.
    int baseBackoffMs = 500;
    int maxBackoffMs = 10000;
    // BUSY answers in a row before giving up; a busy server is expected to drain.
    int maxBusyRetries = Unlimited;
    // Used when BUSY carries no hint.
    int defaultBusyDelayMs = 500;
    // Random spread of every delay, as a fraction (0.25: +-25 %), so that many clients
    // told the same retry-after do not come back in lockstep.
    double jitter = 0.25;

    // Delay in ms before the next attempt, or -1 to give up. `failures` counts the
    // failures of this kind in a row including this one (>= 1); `retryAfterMs` is
    // BUSY's hint; `random01` is uniform in [0, 1) (injected for tests).
    int delayFor(ErrorKind kind, int failures, int retryAfterMs, double random01) const;
};

} // namespace ferry::client
