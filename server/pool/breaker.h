// The crash-loop breaker: when workers keep dying young, respawns are delayed with an exponential backoff
// instead of a fork storm. Pure: the caller passes monotonic times.
#pragma once

#include <cstdint>
#include <deque>

namespace ferry::pool {

class CrashBreaker {
public:
    static constexpr int64_t YoungNs = 5'000'000'000;       // dying within 5 s of its start counts as a crash loop
    static constexpr int64_t WindowNs = 60'000'000'000;     // recent_crashes counts this far back
    static constexpr int64_t FirstBackoffNs = 100'000'000;  // 100 ms, then 200, 400, … 
    static constexpr int64_t MaxBackoffNs = 30'000'000'000; // … capped at 30 s

    // A worker ended. `abnormal`: crashed or exited with an error code (not a requested stop).
    void recordExit(int64_t nowNs, int64_t lifetimeNs, bool abnormal);
    // A worker reached idle: the pool works again, the backoff starts over.
    void recordHealthy();

    bool isOpen(int64_t nowNs) const { return nowNs < m_holdUntilNs; } // spawning held back
    bool canSpawn(int64_t nowNs) const { return !isOpen(nowNs); }
    const char *stateName(int64_t nowNs) const { return isOpen(nowNs) ? "backoff" : "closed"; }
    int64_t backoffMs(int64_t nowNs) const { return isOpen(nowNs) ? (m_holdUntilNs - nowNs) / 1'000'000 : 0; }
    int64_t recentCrashes(int64_t nowNs);
    uint32_t consecutive() const { return m_consecutive; }

private:
    std::deque<int64_t> m_crashes; // times of abnormal exits within WindowNs
    uint32_t m_consecutive = 0;    // young abnormal deaths in a row
    int64_t m_holdUntilNs = 0;
};

} // namespace ferry::pool
