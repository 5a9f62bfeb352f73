// Transfer speed over a sliding window, and the ETA derived from it. Pure: the caller
// passes the clock, so tests can drive it with made-up timestamps.
#pragma once

#include <QtGlobal>

#include <deque>

namespace ferry::client {

class SpeedMeter
{
public:
    // A few seconds smooth out bursts without hiding a real change for long.
    static constexpr qint64 DefaultWindowMs = 4000;

    explicit SpeedMeter(qint64 windowMs = DefaultWindowMs);

    void reset();
    // Records that `totalBytes` had arrived by `timeMs` (a monotonic clock).
    void addSample(qint64 timeMs, qint64 totalBytes);
    // Bytes per second over the window ending at `nowMs`; 0 when nothing moved in it.
    qint64 bytesPerSecond(qint64 nowMs) const;
    // Seconds until `remainingBytes` have arrived at the current speed; -1 ("unknown")
    // while stalled or before enough has been measured.
    qint64 etaSeconds(qint64 nowMs, qint64 remainingBytes) const;

private:
    struct Sample {
        qint64 timeMs;
        qint64 bytes;
    };
    void dropBefore(qint64 cutoffMs);

    qint64 m_windowMs;
    std::deque<Sample> m_samples;
};

} // namespace ferry::client
