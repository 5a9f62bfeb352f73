#include "ratelimiter.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace ferry::client {

RateLimiter::RateLimiter(qint64 bytesPerSecond) : m_rate(std::max<qint64>(0, bytesPerSecond)) {}

qint64 RateLimiter::nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void RateLimiter::setBytesPerSecond(qint64 bytesPerSecond, qint64 nowMs)
{
    refill(nowMs);
    m_rate = std::max<qint64>(0, bytesPerSecond);
    m_tokens = std::min(m_tokens, double(burst()));
}

qint64 RateLimiter::burst() const
{
    return std::max(m_rate / 10, MinReadBytes);
}

// A read waits until it can take a worthwhile amount, or the whole burst if that is less.
qint64 RateLimiter::threshold() const
{
    return std::min(burst(), MinReadBytes);
}

void RateLimiter::refill(qint64 nowMs)
{
    if (m_lastMs < 0) {
        m_tokens = double(burst()); // a transfer may start at once
    } else if (nowMs > m_lastMs) {
        m_tokens = std::min(double(burst()), m_tokens + double(m_rate) * double(nowMs - m_lastMs) / 1000.0);
    }
    m_lastMs = std::max(m_lastMs, nowMs);
}

qint64 RateLimiter::allowance(qint64 nowMs, qint64 wanted)
{
    if (!isLimited())
        return wanted;
    refill(nowMs);
    if (m_tokens < double(threshold()))
        return 0;
    return std::min(wanted, qint64(m_tokens));
}

int RateLimiter::waitMs(qint64 nowMs)
{
    if (!isLimited())
        return 0;
    refill(nowMs);
    const double missing = double(threshold()) - m_tokens;
    if (missing <= 0)
        return 0;
    return std::max(1, int(std::ceil(missing * 1000.0 / double(m_rate))));
}

void RateLimiter::consume(qint64 bytes, qint64 nowMs)
{
    if (!isLimited())
        return;
    refill(nowMs);
    m_tokens -= double(bytes); // may go below zero after a read larger than allowed: paid back first
}

} // namespace ferry::client
