#include "retrypolicy.h"

#include <algorithm>
#include <cmath>

namespace ferry::client {

namespace {

int spread(int delayMs, double jitter, double random01)
{
    const double factor = 1.0 + jitter * (2.0 * random01 - 1.0);
    return std::max(0, int(std::lround(delayMs * factor)));
}

} // namespace

int RetryPolicy::delayFor(ErrorKind kind, int failures, int retryAfterMs, double random01) const
{
    switch (kind) {
    case ErrorKind::ServerBusy: {
        if (failures > maxBusyRetries)
            return -1;
        const int hint = retryAfterMs > 0 ? retryAfterMs : defaultBusyDelayMs;
        return spread(hint, jitter, random01);
    }
    case ErrorKind::ConnectionError: {
        if (failures > maxConnectionRetries)
            return -1;
        const int shift = std::clamp(failures - 1, 0, 20);
        const qint64 backoff = std::min<qint64>(qint64(baseBackoffMs) << shift, maxBackoffMs);
        return spread(int(backoff), jitter, random01);
    }
    case ErrorKind::NoError:
    case ErrorKind::RemoteError:
    case ErrorKind::LocalError:
    case ErrorKind::ProtocolError:
        return -1; // retrying cannot change the answer
    }
    return -1;
}

} // namespace ferry::client
