// Each transfer's speed for `status` (docs/ADMIN.md §4.1, workers[].throughput_bps), measured by the server
// so that every client shows the same, real figure: a transfer that stopped moving reads 0 within two
// seconds, however often a client asks and however it smooths.
#pragma once

#include "adminproto/status.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ferry::admin {

class TransferRates {
public:
    // Records the workers of a snapshot taken at `tMs` (the admin plane's once-a-second sample).
    void record(int64_t tMs, const std::vector<WorkerInfo> &workers);
    // The speed of `worker`'s current transfer in bytes/s at `nowMs`: the bytes it moved since the latest
    // sample at least a second old (so over 1 to 2 s); a transfer too young for one, its average so far;
    // 0 when there is no transfer. O(1).
    int64_t rateOf(const WorkerInfo &worker, int64_t nowMs) const;

private:
    struct Point {
        int64_t tMs = 0;
        int64_t bytes = 0;
    };
    struct Track {
        int64_t pid = 0, connection = 0, startMs = 0;
        Point older, newer;
        bool hasOlder = false;
    };
    static bool isSameTransfer(const Track &track, const WorkerInfo &worker);

    std::unordered_map<int64_t, Track> m_bySlot;
};

} // namespace ferry::admin
