#include "pool/breaker.h"

#include <algorithm>

namespace ferry::pool {

void CrashBreaker::recordExit(int64_t nowNs, int64_t lifetimeNs, bool abnormal)
{
    if (!abnormal)
        return;
    m_crashes.push_back(nowNs);
    recentCrashes(nowNs); // trims the window
    if (lifetimeNs >= YoungNs) {
        m_consecutive = 0; // a crash after a long healthy life is not a loop: respawn at once
        return;
    }
    ++m_consecutive;
    int64_t backoff = FirstBackoffNs;
    for (uint32_t i = 1; i < m_consecutive && backoff < MaxBackoffNs; ++i)
        backoff *= 2;
    m_holdUntilNs = nowNs + std::min(backoff, MaxBackoffNs);
}

void CrashBreaker::recordHealthy()
{
    m_consecutive = 0;
}

int64_t CrashBreaker::recentCrashes(int64_t nowNs)
{
    while (!m_crashes.empty() && nowNs - m_crashes.front() > WindowNs)
        m_crashes.pop_front();
    return static_cast<int64_t>(m_crashes.size());
}

} // namespace ferry::pool
