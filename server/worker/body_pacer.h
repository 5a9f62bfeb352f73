// One body's pacing under all its rate limits (pacing.h), as answers rather than waits: admitAt() says
// whether the next chunk may go now or when to ask again. The blocking sender sleeps until then; the
// worker loop's non-blocking TLS sender sets a timer and serves other connections meanwhile. Both
// therefore pace alike, in four phases: before each chunk the body's own schedule (the per-connection
// limit); then a reservation on the shared global schedule and a wait for its turn; then the same on the
// schedule of the token the request runs under (shared by all of that token's connections, in every
// worker); then the same on the schedule of the client's address (--rate-per-ip, ipc/address_table.h).
// After the send, the bill for what the socket took. A body under several limits obeys each of them.
// Unlimited, a chunk costs three relaxed loads and no clock read.
#pragma once

#include "ipc/scoreboard.h"
#include "worker/pacing.h"

#include <cstddef>
#include <cstdint>

namespace ferry::server {

// The longest a paced body waits at once: limits are re-read (they may change) and an abort noticed
// at least this often.
constexpr int64_t MaxPauseNs = 100'000'000;

class BodyPacer {
public:
    // `token`, `address`: the schedules of the request's token and of its client address, where they have
    // a rate (paidUntilNs null: none). Both rates hold for the body's life.
    explicit BodyPacer(ControlBlock &control, SharedLimit token = {}, SharedLimit address = {})
        : m_control(control), m_token{token.paidUntilNs && token.rate ? token : SharedLimit{}},
          m_address{address.paidUntilNs && address.rate ? address : SharedLimit{}}
    {
    }

    // 0 when the next chunk may go now, with `chunk` (at most `remaining` bytes) sized by the limits in
    // force; otherwise the monotonic time to call again, at most MaxPauseNs after `nowNs`. A caller
    // that waits must call again (with the same `remaining`) or give the turn back with settle(0).
    int64_t admitAt(int64_t nowNs, uint64_t remaining, size_t &chunk);
    // After the send: `sent` bytes of the admitted chunk went (0 if none did, or the body was abandoned).
    void settle(uint64_t sent);

private:
    enum class Phase {
        OwnTurn,    // waiting for the body's own schedule (or not limited)
        GlobalTurn, // a chunk is reserved on the shared schedule; waiting for its start
        TokenTurn,  // and on the token's; waiting for that start
        AddressTurn, // and on the client address's; waiting for that start
    };
    // A schedule shared with other connections whose rate is fixed for the body's life (no rescheduling).
    struct SharedTurn {
        SharedLimit limit;
        int64_t startNs = 0;
        uint64_t reserved = 0; // bytes reserved for the admitted chunk
    };
    int64_t admitOwn(int64_t nowNs, uint64_t remaining, size_t &chunk);
    int64_t admitGlobal(int64_t nowNs, size_t &chunk);
    int64_t reserveToken(int64_t nowNs, size_t &chunk);
    int64_t reserveAddress(int64_t nowNs, size_t &chunk);
    // Reserves the chunk on `turn`: 0 if it may go now, else the time to ask again (phase `waiting`).
    int64_t reserveOn(SharedTurn &turn, Phase waiting, int64_t nowNs);
    static void refund(SharedTurn &turn, uint64_t sent);

    ControlBlock &m_control;
    SharedTurn m_token;
    SharedTurn m_address;
    Phase m_phase = Phase::OwnTurn;
    Pace m_own;
    int64_t m_ownTurnNs = 0;
    size_t m_chunk = 0;             // the chunk reserved, while in GlobalTurn
    int64_t m_globalStartNs = 0;    // when it may go, rescheduled if the global limit changes
    uint64_t m_waitRate = 0;        // the global limit m_globalStartNs was computed under
    uint64_t m_reserved = 0;        // bytes reserved on the global schedule for the admitted chunk
    uint64_t m_reservedRate = 0;
};

} // namespace ferry::server
