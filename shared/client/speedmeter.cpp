#include "speedmeter.h"

namespace ferry::client {

SpeedMeter::SpeedMeter(qint64 windowMs) : m_windowMs(windowMs > 0 ? windowMs : DefaultWindowMs) {}

void SpeedMeter::reset()
{
    m_samples.clear();
}

void SpeedMeter::addSample(qint64 timeMs, qint64 totalBytes)
{
    if (!m_samples.empty() && totalBytes < m_samples.back().bytes)
        m_samples.clear(); // the transfer started over: old samples would read as negative speed
    if (!m_samples.empty() && m_samples.back().timeMs == timeMs)
        m_samples.back().bytes = totalBytes;
    else
        m_samples.push_back({timeMs, totalBytes});
    dropBefore(timeMs - m_windowMs);
}

// Keeps one sample at or before the cutoff as the baseline the window is measured from.
void SpeedMeter::dropBefore(qint64 cutoffMs)
{
    while (m_samples.size() > 1 && m_samples[1].timeMs <= cutoffMs)
        m_samples.pop_front();
}

qint64 SpeedMeter::bytesPerSecond(qint64 nowMs) const
{
    if (m_samples.size() < 2)
        return 0;
    const qint64 windowStart = nowMs - m_windowMs;
    // Interpolating the baseline at windowStart would be more exact; the first sample
    // inside (or just before) the window is close enough at 10 samples a second.
    const Sample &first = m_samples.front();
    const Sample &last = m_samples.back();
    if (last.timeMs <= windowStart)
        return 0; // nothing recorded within the window: stalled
    const qint64 from = std::max(first.timeMs, windowStart);
    const qint64 spanMs = nowMs - from;
    if (spanMs <= 0)
        return 0;
    const qint64 bytes = last.bytes - first.bytes;
    return bytes * 1000 / spanMs;
}

qint64 SpeedMeter::etaSeconds(qint64 nowMs, qint64 remainingBytes) const
{
    if (remainingBytes <= 0)
        return 0;
    const qint64 speed = bytesPerSecond(nowMs);
    if (speed <= 0)
        return -1;
    return (remainingBytes + speed - 1) / speed;
}

} // namespace ferry::client
