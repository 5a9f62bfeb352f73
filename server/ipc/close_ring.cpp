#include "ipc/close_ring.h"

namespace ferry::server {

static_assert(std::atomic<uint64_t>::is_always_lock_free, "the ring is shared between processes");

bool pushClosed(CloseRing &ring, uint64_t id)
{
    const uint64_t tail = ring.tail.load(std::memory_order_relaxed);
    // Acquire: the parent's reads of the places it freed come before our writes into them.
    if (tail - ring.head.load(std::memory_order_acquire) >= CloseRingCapacity)
        return false;
    ring.ids[tail % CloseRingCapacity].store(id, std::memory_order_relaxed);
    ring.tail.store(tail + 1, std::memory_order_release); // the id is there before the parent sees it
    return true;
}

bool takeClosed(CloseRing &ring, std::vector<uint64_t> &out)
{
    const uint64_t head = ring.head.load(std::memory_order_relaxed);
    const uint64_t tail = ring.tail.load(std::memory_order_acquire);
    if (tail < head || tail - head > CloseRingCapacity)
        return false;
    for (uint64_t at = head; at != tail; ++at)
        out.push_back(ring.ids[at % CloseRingCapacity].load(std::memory_order_relaxed));
    ring.head.store(tail, std::memory_order_release);
    return true;
}

void resetRing(CloseRing &ring)
{
    ring.tail.store(0, std::memory_order_relaxed);
    ring.head.store(0, std::memory_order_relaxed);
}

} // namespace ferry::server
