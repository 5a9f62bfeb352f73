#include "ipc/address_table.h"

#include "base/clock.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

namespace ferry::server {

namespace {

constexpr uint64_t ClaimBit = uint64_t(1) << 63;
constexpr uint64_t InFlightMask = 0xFFFF'FFFFu;
constexpr uint64_t Mask48 = (uint64_t(1) << 48) - 1;

uint64_t generationOf(uint64_t lease) { return (lease & ~ClaimBit) >> 32; }
uint64_t inFlightOf(uint64_t lease) { return lease & InFlightMask; }
uint16_t tagOf(uint64_t word) { return uint16_t(word >> 48); }
uint64_t tagged(uint16_t tag, uint64_t value) { return uint64_t(tag) << 48 | (value & Mask48); }

uint64_t loadWord(const unsigned char *bytes)
{
    uint64_t word = 0;
    for (int i = 0; i < 8; ++i)
        word = word << 8 | bytes[i];
    return word;
}

uint64_t mix(uint64_t x) // splitmix64's finaliser
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// The region's size for `slotCount` slots, which open addressing with a mask needs to be a power of two
// of at least ProbeLength.
size_t checkedSize(uint32_t slotCount)
{
    if (slotCount == 0 || (slotCount & (slotCount - 1)) != 0 || slotCount < ProbeLength)
        throw std::invalid_argument("the address table's size must be a power of two of at least 32");
    return sizeof(AddressSlot) * slotCount;
}

} // namespace

std::optional<AddressKey> addressKeyOf(std::string_view peer)
{
    std::string host(peer);
    if (host.starts_with('[')) {
        const size_t close = host.find(']');
        if (close == std::string::npos)
            return std::nullopt;
        host = host.substr(1, close - 1);
    } else if (const size_t colon = host.find(':');
               colon != std::string::npos && host.find(':', colon + 1) == std::string::npos) {
        host.resize(colon); // "1.2.3.4:5678"; a bare IPv6 address has more than one colon
    }
    unsigned char bytes[16] = {};
    in_addr v4{};
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
        bytes[10] = bytes[11] = 0xFF;
        std::memcpy(bytes + 12, &v4, 4);
    } else if (inet_pton(AF_INET6, host.c_str(), bytes) != 1) {
        return std::nullopt;
    }
    return AddressKey{loadWord(bytes), loadWord(bytes + 8)};
}

AddressTable::AddressTable(uint32_t slotCount) : m_region(checkedSize(slotCount), "address table")
{
    m_region.construct<AddressSlot>(0, slotCount);
    std::random_device random; // before fork and before any seccomp filter
    m_seed = uint64_t(random()) << 32 | random();
    m_epochNs = monotonicNs();
}

uint32_t AddressTable::home(const AddressKey &key) const
{
    return uint32_t(mix(mix(key.high ^ m_seed) ^ key.low)) & (slotCount() - 1);
}

int64_t AddressTable::clockMs(int64_t nowNs) const // 1 at the table's creation: never 0, which means "none"
{
    return std::clamp<int64_t>((nowNs - m_epochNs) / 1'000'000 + 1, 1, int64_t(Mask48));
}

// All atomics here are sequentially consistent on purpose: a pin reads the lease, then the key, then
// CASes the lease; a claim CASes the lease before it writes the key. So a pin that succeeds saw the
// key of the generation it pinned.
bool AddressTable::pinIfSame(AddressSlot &slot, const AddressKey &key, int64_t nowNs)
{
    uint64_t lease = slot.lease.load();
    while (!(lease & ClaimBit) && generationOf(lease) != 0 && slot.keyHigh.load() == key.high
           && slot.keyLow.load() == key.low) {
        if (slot.lease.compare_exchange_weak(lease, lease + 1)) {
            slot.lastUsedNs.store(nowNs);
            return true;
        }
    }
    return false;
}

std::optional<uint32_t> AddressTable::acquire(const AddressKey &key, int64_t nowNs)
{
    const uint32_t first = home(key);
    for (int attempt = 0; attempt < 8; ++attempt) { // a lost race for a slot: look again
        for (uint32_t i = 0; i < ProbeLength; ++i) {
            const uint32_t index = (first + i) & (slotCount() - 1);
            if (pinIfSame(slots()[index], key, nowNs))
                return index;
        }
        if (std::optional<uint32_t> claimed = claim(key, nowNs))
            return claimed;
    }
    return std::nullopt;
}

// A slot for a new address: the first never used, else the least recently used with no body in flight.
std::optional<uint32_t> AddressTable::claim(const AddressKey &key, int64_t nowNs)
{
    const uint32_t first = home(key);
    std::optional<uint32_t> victim;
    uint64_t victimLease = 0;
    int64_t oldest = INT64_MAX;
    for (uint32_t i = 0; i < ProbeLength; ++i) {
        const uint32_t index = (first + i) & (slotCount() - 1);
        const uint64_t lease = slots()[index].lease.load();
        const int64_t used = generationOf(lease) == 0 ? INT64_MIN : slots()[index].lastUsedNs.load();
        if (!(lease & ClaimBit) && inFlightOf(lease) == 0 && used < oldest) {
            victim = index;
            victimLease = lease;
            oldest = used;
        }
    }
    if (!victim)
        return std::nullopt;
    AddressSlot &slot = slots()[*victim];
    const uint64_t generation = (generationOf(victimLease) + 1) & 0x7FFF'FFFFu;
    if (!slot.lease.compare_exchange_strong(victimLease, ClaimBit | (generation == 0 ? 1 : generation) << 32))
        return std::nullopt; // pinned or claimed meanwhile
    slot.keyHigh.store(key.high);
    slot.keyLow.store(key.low);
    slot.paidUntilNs.store(0);
    slot.windowStart.store(0); // no reservation can be outstanding: nobody held a pin
    slot.windowUse.store(0);
    slot.lastUsedNs.store(nowNs);
    slot.lease.store(((generation == 0 ? 1 : generation) << 32) | 1); // published, pinned by us
    return yieldToEarlier(key, *victim, nowNs);
}

// Two workers may claim a slot for the same new address at once. The one whose slot comes later in the
// probe order gives it up (idle, found by nobody before the other) and pins the earlier one, so that the
// address's limits are counted in one slot.
uint32_t AddressTable::yieldToEarlier(const AddressKey &key, uint32_t mine, int64_t nowNs)
{
    const uint32_t first = home(key);
    for (uint32_t i = 0; i < ProbeLength; ++i) {
        const uint32_t index = (first + i) & (slotCount() - 1);
        if (index == mine)
            return mine;
        if (pinIfSame(slots()[index], key, nowNs)) {
            release(mine, INT64_MIN); // the first to be reused
            return index;
        }
    }
    return mine;
}

void AddressTable::release(uint32_t index, int64_t nowNs)
{
    AddressSlot &slot = slots()[index];
    slot.lastUsedNs.store(nowNs);
    uint64_t lease = slot.lease.load();
    while (inFlightOf(lease) != 0 && !slot.lease.compare_exchange_weak(lease, lease - 1)) {
    }
}

bool AddressTable::reserveBytes(uint32_t index, uint64_t bytes, uint64_t limit, int64_t windowMs, int64_t nowNs,
                                WindowTicket &ticket, uint64_t &used)
{
    AddressSlot &slot = slots()[index];
    const uint64_t nowMs = uint64_t(clockMs(nowNs));
    for (;;) {
        const uint64_t start = slot.windowStart.load();
        uint64_t use = slot.windowUse.load();
        if (tagOf(start) != tagOf(use)) { // a new window half opened (its opener may have died): finish it
            slot.windowStart.store(tagged(tagOf(use), nowMs));
            continue;
        }
        if ((start & Mask48) == 0 || nowMs - (start & Mask48) >= uint64_t(windowMs)) {
            const uint16_t next = uint16_t(tagOf(use) + 1);
            if (slot.windowUse.compare_exchange_strong(use, tagged(next, 0)))
                slot.windowStart.store(tagged(next, nowMs)); // the window starts at this body's first byte
            continue;
        }
        used = use & Mask48;
        if (bytes > limit || used > limit - bytes)
            return false;
        if (slot.windowUse.compare_exchange_strong(use, use + bytes)) {
            ticket = {tagOf(use), bytes};
            return true;
        }
    }
}

void AddressTable::refundBytes(uint32_t index, const WindowTicket &ticket, uint64_t unsent)
{
    AddressSlot &slot = slots()[index];
    uint64_t use = slot.windowUse.load();
    while (tagOf(use) == ticket.tag && unsent != 0) {
        const uint64_t back = std::min(unsent, use & Mask48);
        if (slot.windowUse.compare_exchange_weak(use, use - back))
            return;
    }
}

} // namespace ferry::server
