// Latency histogram with fixed, preallocated buckets: recording is an index computation
// and an increment, never an allocation, so it can sit on the per-request path.
#pragma once

#include <array>
#include <cstdint>

namespace ferry::bench {

// Log-linear buckets (like HdrHistogram with 64 sub-buckets per power of two): values
// below 128 are exact, larger ones are kept within 1/64 (1.6 %) of their true value.
// Values are microseconds; the range covers more than a day.
class Histogram {
public:
    void record(uint64_t value);
    void merge(const Histogram &other);

    uint64_t count() const { return m_count; }
    uint64_t max() const { return m_max; }
    // The value below which `percent` of the recorded values lie (0 if empty).
    uint64_t percentile(double percent) const;

private:
    static constexpr int SubBuckets = 64;
    static constexpr int BucketCount = 2 * SubBuckets + 40 * SubBuckets;
    static int indexOf(uint64_t value);
    static uint64_t upperBoundOf(int index);

    std::array<uint64_t, BucketCount> m_buckets{};
    uint64_t m_count = 0;
    uint64_t m_max = 0;
};

} // namespace ferry::bench
