#include "adminproto/history.h"

#include <algorithm>

namespace ferry::admin {

void HistoryRing::record(int64_t tMs, const CumulativeCounters &totals, int64_t busy, int64_t pending,
                         int64_t parked)
{
    HistorySample sample;
    sample.tMs = tMs;
    sample.busy = busy;
    sample.pending = pending;
    sample.parked = parked;
    if (m_hasPrevious) {
        const int64_t elapsedMs = std::max<int64_t>(1, tMs - m_previousMs);
        const int64_t bytes = std::max<int64_t>(0, totals.bytesSent - m_previous.bytesSent);
        sample.throughputBps = static_cast<int64_t>(static_cast<double>(bytes) * 1000.0 / double(elapsedMs));
        sample.accepted = std::max<int64_t>(0, totals.accepted - m_previous.accepted);
        sample.rejected = std::max<int64_t>(0, totals.rejected - m_previous.rejected);
    }
    m_hasPrevious = true;
    m_previousMs = tMs;
    m_previous = totals;
    m_ring[m_next] = sample;
    m_next = (m_next + 1) % Capacity;
    m_count = std::min(m_count + 1, Capacity);
}

std::vector<HistorySample> HistoryRing::samples() const
{
    std::vector<HistorySample> out;
    out.reserve(m_count);
    const size_t first = (m_next + Capacity - m_count) % Capacity;
    for (size_t i = 0; i < m_count; ++i)
        out.push_back(m_ring[(first + i) % Capacity]);
    return out;
}

int64_t HistoryRing::lastThroughput() const
{
    if (m_count == 0)
        return 0;
    return m_ring[(m_next + Capacity - 1) % Capacity].throughputBps;
}

Json HistoryRing::toJson() const
{
    Json list = Json::array();
    for (const HistorySample &s : samples()) {
        list.push_back(Json{{"t_ms", s.tMs},
                            {"throughput_bps", s.throughputBps},
                            {"busy", s.busy},
                            {"pending", s.pending},
                            {"parked", s.parked},
                            {"accepted", s.accepted},
                            {"rejected", s.rejected}});
    }
    return list;
}

} // namespace ferry::admin
