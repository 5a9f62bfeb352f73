#include "adminproto/transfer_rates.h"

#include <cstdlib>

namespace ferry::admin {

namespace {
constexpr int64_t MinSpanMs = 1000; // a shorter span would show the chunking of a paced body, not its rate
} // namespace

bool TransferRates::isSameTransfer(const Track &track, const WorkerInfo &worker)
{
    // The start is converted from the monotonic clock to wall-clock ms for every snapshot, which may
    // differ by a millisecond or two; a new request of the same connection restarts the byte count.
    return track.pid == worker.pid && track.connection == worker.connection
           && std::llabs(track.startMs - worker.transferStartMs) <= 2 && worker.bytesSent >= track.newer.bytes;
}

void TransferRates::record(int64_t tMs, const std::vector<WorkerInfo> &workers)
{
    std::unordered_map<int64_t, Track> next;
    for (const WorkerInfo &w : workers) {
        if (w.transferStartMs <= 0)
            continue;
        Track track;
        if (auto it = m_bySlot.find(w.slot); it != m_bySlot.end() && isSameTransfer(it->second, w)) {
            track = it->second;
            track.older = track.newer;
            track.hasOlder = true;
        } else {
            track.pid = w.pid;
            track.connection = w.connection;
            track.startMs = w.transferStartMs;
        }
        track.newer = {tMs, w.bytesSent};
        next.emplace(w.slot, track);
    }
    m_bySlot = std::move(next);
}

int64_t TransferRates::rateOf(const WorkerInfo &worker, int64_t nowMs) const
{
    if (worker.transferStartMs <= 0)
        return 0;
    Point base{worker.transferStartMs, 0};
    if (auto it = m_bySlot.find(worker.slot); it != m_bySlot.end() && isSameTransfer(it->second, worker)) {
        const Track &track = it->second;
        if (nowMs - track.newer.tMs >= MinSpanMs)
            base = track.newer;
        else if (track.hasOlder)
            base = track.older;
    }
    if (nowMs <= base.tMs || worker.bytesSent < base.bytes)
        return 0;
    return (worker.bytesSent - base.bytes) * 1000 / (nowMs - base.tMs);
}

} // namespace ferry::admin
