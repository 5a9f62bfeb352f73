// The `history` ring (docs/ADMIN.md §4.3): one sample per second for the last 10 minutes.
// Fed with the server's cumulative counters once a second; keeps per-second differences.
#pragma once

#include "adminproto/json.h"

#include <array>
#include <cstdint>
#include <vector>

namespace ferry::admin {

struct HistorySample {
    int64_t tMs = 0;
    int64_t throughputBps = 0;
    int64_t busy = 0;
    int64_t pending = 0;
    int64_t parked = 0;
    int64_t accepted = 0; // during this second
    int64_t rejected = 0; // during this second
};

struct CumulativeCounters {
    int64_t bytesSent = 0;
    int64_t accepted = 0;
    int64_t rejected = 0;
};

class HistoryRing {
public:
    static constexpr size_t Capacity = 600; // 10 minutes at one sample per second

    // Adds a sample taken at `tMs`. Rates are scaled by the real time since the previous sample, so a timer
    // that fires late does not inflate throughput. A counter that goes backwards counts as 0, not negative.
    void record(int64_t tMs, const CumulativeCounters &totals, int64_t busy, int64_t pending, int64_t parked);
    // Oldest first. O(size).
    std::vector<HistorySample> samples() const;
    size_t size() const { return m_count; }
    // Throughput of the most recent sample, 0 before the second sample.
    int64_t lastThroughput() const;
    Json toJson() const;

private:
    std::array<HistorySample, Capacity> m_ring{};
    size_t m_next = 0;
    size_t m_count = 0;
    bool m_hasPrevious = false;
    int64_t m_previousMs = 0;
    CumulativeCounters m_previous;
};

} // namespace ferry::admin
