#include "worker/pacing.h"

#include <algorithm>

namespace ferry::server {

namespace {
// 128 bits for products of byte counts, rates and nanoseconds, which overflow 64 (1 GiB * 1e9 does).
__extension__ typedef __int128 Wide;
__extension__ typedef unsigned __int128 UWide;
} // namespace

int64_t billNs(uint64_t bytes, uint64_t rate)
{
    UWide ns = (UWide(bytes) * 1'000'000'000u + rate - 1) / rate;
    return ns > UWide(INT64_MAX) ? INT64_MAX : int64_t(ns);
}

int64_t sendTimeNs(int64_t paidUntilNs, int64_t nowNs)
{
    return std::max(paidUntilNs - PaceToleranceNs, nowNs);
}

int64_t paidAfter(int64_t paidUntilNs, int64_t sentNs, uint64_t bytes, uint64_t rate)
{
    // From the later of the schedule and the send: an idle stretch is not credited, and bytes sent a
    // little early (within the tolerance) do not pull the schedule back.
    return std::max(paidUntilNs, sentNs) + billNs(bytes, rate);
}

int64_t rescheduled(int64_t paidUntilNs, int64_t nowNs, uint64_t oldRate, uint64_t newRate)
{
    if (oldRate == 0 || newRate == 0)
        return nowNs;
    if (paidUntilNs <= nowNs || newRate <= oldRate)
        return paidUntilNs;
    Wide owedNs = paidUntilNs - nowNs;
    return nowNs + int64_t(owedNs * Wide(oldRate) / Wide(newRate));
}

void Pace::setRate(uint64_t rate, int64_t nowNs)
{
    if (rate == m_rate)
        return;
    m_paidUntilNs = rescheduled(m_paidUntilNs, nowNs, m_rate, rate);
    m_rate = rate;
}

int64_t Pace::sendTimeNs(int64_t nowNs) const
{
    return m_rate == 0 ? nowNs : server::sendTimeNs(m_paidUntilNs, nowNs);
}

void Pace::paid(int64_t sentNs, uint64_t bytes)
{
    if (m_rate != 0)
        m_paidUntilNs = paidAfter(m_paidUntilNs, sentNs, bytes, m_rate);
}

int64_t reserveShared(std::atomic<int64_t> &paidUntilNs, int64_t nowNs, uint64_t bytes, uint64_t rate)
{
    int64_t seen = paidUntilNs.load(std::memory_order_relaxed);
    int64_t start = 0;
    do
        start = sendTimeNs(seen, nowNs);
    while (!paidUntilNs.compare_exchange_weak(seen, paidAfter(seen, start, bytes, rate), std::memory_order_relaxed));
    return start;
}

void refundShared(std::atomic<int64_t> &paidUntilNs, uint64_t bytes, uint64_t rate)
{
    if (bytes > 0)
        paidUntilNs.fetch_sub(billNs(bytes, rate), std::memory_order_relaxed);
}

void rescheduleShared(std::atomic<int64_t> &paidUntilNs, int64_t nowNs, uint64_t oldRate, uint64_t newRate)
{
    int64_t seen = paidUntilNs.load(std::memory_order_relaxed);
    while (!paidUntilNs.compare_exchange_weak(seen, rescheduled(seen, nowNs, oldRate, newRate),
                                              std::memory_order_relaxed)) {
    }
}

} // namespace ferry::server
