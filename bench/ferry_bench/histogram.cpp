#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ferry::bench {

// Values below 2*SubBuckets map to themselves. Above, a value with its highest bit at
// position `msb` keeps its top 7 bits: bucket = 128 + (shift - 1) * 64 + (top - 64).
int Histogram::indexOf(uint64_t value)
{
    if (value < 2 * SubBuckets)
        return static_cast<int>(value);
    const int msb = 63 - std::countl_zero(value);
    const int shift = msb - 6;
    const int top = static_cast<int>(value >> shift); // 64..127
    const int index = 2 * SubBuckets + (shift - 1) * SubBuckets + (top - SubBuckets);
    return std::min(index, BucketCount - 1);
}

uint64_t Histogram::upperBoundOf(int index)
{
    if (index < 2 * SubBuckets)
        return static_cast<uint64_t>(index);
    const int shift = (index - 2 * SubBuckets) / SubBuckets + 1;
    const uint64_t top = static_cast<uint64_t>((index - 2 * SubBuckets) % SubBuckets + SubBuckets);
    return ((top + 1) << shift) - 1;
}

void Histogram::record(uint64_t value)
{
    ++m_buckets[static_cast<size_t>(indexOf(value))];
    ++m_count;
    m_max = std::max(m_max, value);
}

void Histogram::merge(const Histogram &other)
{
    for (size_t i = 0; i < m_buckets.size(); ++i)
        m_buckets[i] += other.m_buckets[i];
    m_count += other.m_count;
    m_max = std::max(m_max, other.m_max);
}

uint64_t Histogram::percentile(double percent) const
{
    if (m_count == 0)
        return 0;
    const auto wanted = static_cast<uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(m_count)));
    uint64_t seen = 0;
    for (size_t i = 0; i < m_buckets.size(); ++i) {
        seen += m_buckets[i];
        if (seen >= std::max<uint64_t>(wanted, 1))
            return std::min(upperBoundOf(static_cast<int>(i)), m_max);
    }
    return m_max;
}

} // namespace ferry::bench
