// The client addresses in shared memory: what the per-address limits (--rate-per-ip, --max-bytes-per-ip)
// count, across all of an address's connections and every worker. Mapped by the parent before any fork,
// like the scoreboard and the token table; workers claim, use and release slots themselves.
//
// Contract:
//  - A bounded table (AddressTableSlots), open addressing: an address lives in one of the ProbeLength slots
//    after its hash (seeded at start, so a client cannot aim at one neighbourhood). The key is the real
//    client address (after a PROXY header), IPv4 as IPv4-mapped IPv6, without the port.
//  - A worker pins an address's slot for each GET body (acquire() ... release()): a pinned slot is never
//    given to another address. When an address is new and its neighbourhood full, the least recently used
//    slot there with no body in flight is reused (its counts are forgotten); if every one has a body in
//    flight, acquire() fails and the GET is refused BUSY (the table never lets a client through unlimited).
//  - Every field has many writers (the workers): atomics only, no lock, so a worker killed at any point
//    leaves nothing locked. A killed worker's pin stays counted (that slot is never reused) until restart.
#pragma once

#include "ipc/shared_region.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::server {

constexpr uint32_t AddressTableSlots = 4096; // 256 KiB of shared memory; power of two
constexpr uint32_t ProbeLength = 32;         // the slots one address may use
constexpr uint64_t MaxQuotaBytes = (uint64_t(1) << 48) - 1; // what a window's 48-bit count holds (256 TiB)

// A client address as 16 bytes (IPv4-mapped for IPv4), in two words.
struct AddressKey {
    uint64_t high = 0;
    uint64_t low = 0;
    bool operator==(const AddressKey &) const = default;
};
// Pure: the key of a peer as the parent formats it ("1.2.3.4:5678", "[2001:db8::1]:443") or of a bare
// address; nothing if it is neither.
std::optional<AddressKey> addressKeyOf(std::string_view peer);

struct alignas(64) AddressSlot {
    // Bit 63: being claimed; bits 32-62: the slot's generation (0 = never used, +1 at each claim);
    // bits 0-31: bodies in flight. One word, so that a pin and a claim cannot both succeed.
    std::atomic<uint64_t> lease{0};
    std::atomic<uint64_t> keyHigh{0};
    std::atomic<uint64_t> keyLow{0};
    std::atomic<int64_t> lastUsedNs{0}; // monotonic: which idle slot is reused first
    // The address's rate schedule (worker/pacing.h), shared by its bodies in every worker.
    std::atomic<int64_t> paidUntilNs{0};
    // The quota window: bits 48-63 the window's tag (+1 at each new window), bits 0-47 its start (ms of the
    // table's clock, 0 = none yet) or the bytes reserved in it. Both words carry the tag, so a worker that
    // sees them differ knows a new window is being opened (and finishes opening it).
    std::atomic<uint64_t> windowStart{0};
    std::atomic<uint64_t> windowUse{0};
};

// Bytes a body reserved in its address's window, to give back what it did not send.
struct WindowTicket {
    uint16_t tag = 0;
    uint64_t bytes = 0;
};

// The address slots in their shared region (ipc/shared_region.h). Created before fork; move-only.
class AddressTable {
public:
    // Maps `slotCount` (a power of two, at least ProbeLength) zeroed slots. Throws std::invalid_argument
    // for another count, std::system_error on mmap failure (start-up only).
    explicit AddressTable(uint32_t slotCount = AddressTableSlots);

    uint32_t slotCount() const { return uint32_t(m_region.size() / sizeof(AddressSlot)); }
    AddressSlot &slot(uint32_t index) { return slots()[index]; }

    // Pins the slot of `key` for one body, claiming one if the address has none. Nothing if every slot
    // the address may use has a body in flight. O(ProbeLength).
    std::optional<uint32_t> acquire(const AddressKey &key, int64_t nowNs);
    // Unpins it (once per acquire(), after any refund of its window).
    void release(uint32_t index, int64_t nowNs);

    // Reserves `bytes` in the address's quota window of `windowMs`, opening a new window (starting now)
    // if there is none or it has run out. False, with `used` set, if they do not fit under `limit`.
    bool reserveBytes(uint32_t index, uint64_t bytes, uint64_t limit, int64_t windowMs, int64_t nowNs,
                      WindowTicket &ticket, uint64_t &used);
    // Gives back `unsent` bytes of a reservation, if its window is still the current one.
    void refundBytes(uint32_t index, const WindowTicket &ticket, uint64_t unsent);

private:
    uint32_t home(const AddressKey &key) const;
    bool pinIfSame(AddressSlot &slot, const AddressKey &key, int64_t nowNs);
    std::optional<uint32_t> claim(const AddressKey &key, int64_t nowNs);
    uint32_t yieldToEarlier(const AddressKey &key, uint32_t mine, int64_t nowNs);
    int64_t clockMs(int64_t nowNs) const;
    AddressSlot *slots() const { return m_region.at<AddressSlot>(0); }

    SharedRegion m_region;
    uint64_t m_seed = 0;
    int64_t m_epochNs = 0;
};

} // namespace ferry::server
