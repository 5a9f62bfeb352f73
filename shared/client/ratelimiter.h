// A token bucket for download speed: how many bytes may be read now. Pure: the
// caller passes the time, so it is tested with tables of instants.
#pragma once

#include <QtGlobal>

namespace ferry::client {

// What may be read now: `bytes`, or none and a try again after `retryInMs` (UntilResumed: when the
// pacer's owner calls Connection::resumeReading()).
struct ReadBudget {
    static constexpr int UntilResumed = -1;
    qint64 bytes = 0;
    int retryInMs = 0;
};

// Tokens accrue at bytesPerSecond() up to a burst of a tenth of a second (at least
// MinReadBytes), so the speed holds within a short window. A new rate applies from
// now on, never to the past: changing it keeps at most one burst of saved tokens.
class RateLimiter
{
public:
    // Reads smaller than this cost more in wake-ups than they smooth the speed.
    static constexpr qint64 MinReadBytes = 16 * 1024;

    // 0: no limit.
    explicit RateLimiter(qint64 bytesPerSecond = 0);

    // A monotonic clock in ms, the same for every limiter of the process (a limit
    // shared by several downloads must see one time).
    static qint64 nowMs();

    qint64 bytesPerSecond() const { return m_rate; }
    void setBytesPerSecond(qint64 bytesPerSecond, qint64 nowMs);
    bool isLimited() const { return m_rate > 0; }

    // Bytes that may be read at `nowMs` (capped at `wanted`); 0 means wait
    // waitMs(nowMs) first. Unlimited: `wanted`.
    qint64 allowance(qint64 nowMs, qint64 wanted);
    int waitMs(qint64 nowMs);
    // Bytes actually read.
    void consume(qint64 bytes, qint64 nowMs);

private:
    void refill(qint64 nowMs);
    qint64 burst() const;
    qint64 threshold() const;

    qint64 m_rate = 0;
    double m_tokens = 0;
    qint64 m_lastMs = -1;
};

} // namespace ferry::client
