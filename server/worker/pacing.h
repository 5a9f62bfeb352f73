// Rate pacing: when the next bytes of a body may go, so that a limit holds over any short window whatever
// changes while the body is being sent (the limit itself, the number of transfers sharing it, a stall).
//
// A schedule is one number, `paidUntilNs`: the monotonic time by which everything sent so far is paid for
// at the rate in force when it was sent (GCRA, the virtual-clock form of a token bucket). Bytes may go once
// the schedule is no more than PaceToleranceNs ahead of now; sending `n` bytes at rate `r` moves it n/r
// later. Time spent not sending (a stalled client, a pause between requests) earns no credit, so a limit
// never bursts to catch up; and a changed limit bills only what is sent from then on (rescheduled()).
//
// Each body has its own schedule for the per-connection limit. The global limit is one schedule in shared
// memory (ControlBlock::globalPaidUntilNs) from which every worker reserves its next chunk before sending
// it: reservations are served in the order they are made, so greedy transfers take turns (an equal share),
// and what a transfer held back by a slow client does not use goes to the others.
#pragma once

#include <atomic>
#include <cstdint>

namespace ferry::server {

// A limit shared by several connections besides the global one: a token's rate (ipc/token_table.h), a
// client address's (ipc/address_table.h).
struct SharedLimit {
    std::atomic<int64_t> *paidUntilNs = nullptr; // null: none
    uint64_t rate = 0;                           // bytes/s, 0 = none
};

// How early bytes may go relative to the schedule. It absorbs a late wake-up (timer slack, a loaded
// machine) without losing rate, and bounds what a window can hold beyond the limit: 10 ms of the rate.
constexpr int64_t PaceToleranceNs = 10'000'000;

// Pure: the nanoseconds `bytes` take at `rate` bytes/s (rate > 0), rounded up.
int64_t billNs(uint64_t bytes, uint64_t rate);
// Pure: the earliest time bytes may go under a schedule paid until `paidUntilNs`: `nowNs` or later.
int64_t sendTimeNs(int64_t paidUntilNs, int64_t nowNs);
// Pure: the schedule once `bytes` went at `sentNs` (a time sendTimeNs() allowed) at `rate` (> 0).
int64_t paidAfter(int64_t paidUntilNs, int64_t sentNs, uint64_t bytes, uint64_t rate);
// Pure: the schedule when the limit changes from `oldRate` to `newRate` at `nowNs` (0 = unlimited).
// What is still owed was sent under the old limit. A cut leaves the debt as it is: the new limit applies
// to the bytes sent next, never to bytes already gone (billing them again would stall the transfer). A
// raise pays the debt at the new rate: it never waits longer than the new limit needs. To or from
// unlimited nothing is owed.
int64_t rescheduled(int64_t paidUntilNs, int64_t nowNs, uint64_t oldRate, uint64_t newRate);

// One body's schedule under one limit (not shared: no atomics).
class Pace {
public:
    // Follows the limit in force; call with the value just read, before asking when to send.
    void setRate(uint64_t rate, int64_t nowNs);
    uint64_t rate() const { return m_rate; }
    // When the next bytes may go: `nowNs` when unlimited or on schedule.
    int64_t sendTimeNs(int64_t nowNs) const;
    // Bills `bytes` that went at `sentNs`.
    void paid(int64_t sentNs, uint64_t bytes);

private:
    uint64_t m_rate = 0;
    int64_t m_paidUntilNs = 0;
};

// The shared schedule, used by many processes at once. Lock-free (a compare-and-swap loop on one word),
// so a worker killed at any point leaves nothing locked; one CAS per chunk of a limited transfer.
// Reserves `bytes` at `rate` (> 0) and returns when they may go.
int64_t reserveShared(std::atomic<int64_t> &paidUntilNs, int64_t nowNs, uint64_t bytes, uint64_t rate);
// Gives back the part of a reservation that was not sent (the socket took less than the chunk).
void refundShared(std::atomic<int64_t> &paidUntilNs, uint64_t bytes, uint64_t rate);
// rescheduled() on the shared schedule: the parent calls it when it changes the global limit.
void rescheduleShared(std::atomic<int64_t> &paidUntilNs, int64_t nowNs, uint64_t oldRate, uint64_t newRate);

} // namespace ferry::server
