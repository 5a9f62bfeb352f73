// Close reports through shared memory: each worker slot has a small single-producer, single-consumer
// ring of the connection ids its worker closed. The worker pushes an id before it closes the socket;
// the parent takes them all whenever it wakes anyway (an accept, a timer, an admin request, a worker's
// message or exit), so a short connection's close no longer wakes the parent by itself.
//
// Contract:
//  - `tail` and `ids` are written only by the slot's worker, `head` only by the parent (and both by the
//    parent while no process owns the slot: resetRing() before fork).
//  - The parent distrusts what it reads: a ring whose tail is behind its head or more than a ring ahead
//    is malformed (takeClosed() says so), and every id taken must be one the worker was given.
//  - A full ring is not an error: the worker reports that close over its channel instead (HandoffKind::
//    Done), as before the ring. While the parent asks to hear of closes at once (ControlBlock::
//    closesWanted: connections wait for a worker), a worker that pushes one also wakes it (HandoffKind::
//    ClosesQueued), once per loop turn.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace ferry::server {

// Closes a worker can report without the parent reading any. Small on purpose: at one client the ring
// holds one id between the parent's wake-ups; under load the parent wakes often and empties it; past
// this the channel takes the rest (tested by tst_server_handoff with 40 closes while the parent sleeps).
constexpr uint32_t CloseRingCapacity = 32;

struct alignas(64) CloseRing {
    std::atomic<uint64_t> tail{0};             // worker: ids pushed so far
    alignas(64) std::atomic<uint64_t> head{0}; // parent: ids taken so far (its own cache line)
    alignas(64) std::atomic<uint64_t> ids[CloseRingCapacity]{};
};

// Worker: appends `id`. False when the ring is full (the parent has not taken the earlier ones yet).
bool pushClosed(CloseRing &ring, uint64_t id);
// Parent: appends every id pushed since the last call to `out`, in order, and frees their places.
// False (nothing taken) if the ring is malformed.
[[nodiscard]] bool takeClosed(CloseRing &ring, std::vector<uint64_t> &out);
// Parent, while no process owns the slot: empties the ring.
void resetRing(CloseRing &ring);

} // namespace ferry::server
