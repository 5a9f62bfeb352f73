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

bool exhausted(int failures, int limit)
{
    return limit != RetryPolicy::Unlimited && failures > limit;
}

} // namespace

bool RetryPolicy::canRetryFix(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::ConnectionError:
    case ErrorKind::ServerBusy:
        return true;
    case ErrorKind::NoError:
    case ErrorKind::RemoteError:
    case ErrorKind::LocalError:
    case ErrorKind::ProtocolError:
    case ErrorKind::AccessDenied: // a person has to bring a token first
    case ErrorKind::IdentityChanged: // only removing the pin lets it through
        return false;
    }
    return false;
}

int RetryPolicy::delayFor(ErrorKind kind, int failures, int retryAfterMs, double random01) const
{
    if (!canRetryFix(kind))
        return -1;
    if (kind == ErrorKind::ServerBusy) {
        if (exhausted(failures, maxBusyRetries))
            return -1;
        const int hint = retryAfterMs > 0 ? retryAfterMs : defaultBusyDelayMs;
        return spread(hint, jitter, random01);
    }
    if (exhausted(failures, maxConnectionRetries))
        return -1;
    const int shift = std::clamp(failures - 1, 0, 20);
    const qint64 backoff = std::min<qint64>(qint64(baseBackoffMs) << shift, maxBackoffMs);
    return spread(int(backoff), jitter, random01);
}

} // namespace ferry::client
