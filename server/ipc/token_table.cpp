#include "ipc/token_table.h"

#include "ipc/scoreboard.h"

#include <algorithm>

namespace ferry::server {

namespace {

std::string textOf(const std::atomic<char> *field, size_t size)
{
    std::string text(size, '\0');
    loadText(text.data(), field, size);
    text.resize(std::char_traits<char>::length(text.c_str()));
    return text;
}

// One seqlock try over the parent-written fields (see the Boehm note in scoreboard.cpp).
bool tryRead(const TokenSlot &slot, uint32_t index, TokenView &view)
{
    const uint32_t before = slot.seq.load(std::memory_order_acquire);
    if (before & 1)
        return false;
    view.index = index;
    view.serial = slot.serial.load(std::memory_order_relaxed);
    view.state = slot.state.load(std::memory_order_relaxed);
    for (size_t i = 0; i < view.hash.size(); ++i)
        view.hash[i] = slot.hash[i].load(std::memory_order_relaxed);
    view.id = textOf(slot.id, sizeof slot.id);
    view.label = textOf(slot.label, sizeof slot.label);
    view.scope = textOf(slot.scope, sizeof slot.scope);
    view.expiresAtNs = slot.expiresAtNs.load(std::memory_order_relaxed);
    view.rate = slot.rate.load(std::memory_order_relaxed);
    view.maxConnections = slot.maxConnections.load(std::memory_order_relaxed);
    view.maxBytes = slot.maxBytes.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    return slot.seq.load(std::memory_order_relaxed) == before;
}

} // namespace

TokenTable::TokenTable(uint32_t slotCount) : m_region(sizeof(TokenSlot) * slotCount, "token table")
{
    m_region.construct<TokenSlot>(0, slotCount);
}

void TokenTable::publish(uint32_t index, const TokenFields &fields, bool revoked, uint64_t bytesUsed,
                         uint64_t requests, int64_t lastUsedNs)
{
    TokenSlot &slot = slots()[index];
    slot.seq.fetch_add(1, std::memory_order_acq_rel); // odd: being written
    std::atomic_thread_fence(std::memory_order_release);
    slot.serial.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < fields.hash.size(); ++i)
        slot.hash[i].store(fields.hash[i], std::memory_order_relaxed);
    copyText(slot.id, sizeof slot.id, fields.id.data(), fields.id.size());
    copyText(slot.label, sizeof slot.label, fields.label.data(), fields.label.size());
    copyText(slot.scope, sizeof slot.scope, fields.scope.data(), fields.scope.size());
    slot.expiresAtNs.store(fields.expiresAtNs, std::memory_order_relaxed);
    slot.rate.store(fields.rate, std::memory_order_relaxed);
    slot.maxConnections.store(fields.maxConnections, std::memory_order_relaxed);
    slot.maxBytes.store(fields.maxBytes, std::memory_order_relaxed);
    slot.bytesUsed.store(bytesUsed, std::memory_order_relaxed);
    slot.bytesReserved.store(0, std::memory_order_relaxed);
    slot.requests.store(requests, std::memory_order_relaxed);
    slot.lastUsedNs.store(lastUsedNs, std::memory_order_relaxed);
    slot.connections.store(0, std::memory_order_relaxed);
    slot.state.store(revoked ? TokenState::Revoked : TokenState::Active, std::memory_order_relaxed);
    slot.seq.fetch_add(1, std::memory_order_release); // even: readable
}

std::optional<TokenView> TokenTable::read(uint32_t index) const
{
    TokenView view;
    for (int attempt = 0; attempt < 100; ++attempt)
        if (tryRead(slots()[index], index, view))
            return view.state == TokenState::Empty ? std::nullopt : std::optional<TokenView>(view);
    return std::nullopt;
}

std::optional<TokenView> TokenTable::findByHash(const SecretHash &hash) const
{
    std::optional<TokenView> found;
    for (uint32_t i = 0; i < slotCount(); ++i) { // every slot, so the time says nothing about which one matched
        if (slots()[i].state.load(std::memory_order_acquire) == TokenState::Empty)
            continue; // says nothing about the secret: only how many tokens there are
        std::optional<TokenView> view = read(i);
        if (view && sameHash(view->hash, hash) && !found)
            found = std::move(view);
    }
    return found;
}

bool TokenTable::addConnection(uint32_t index, uint32_t max)
{
    std::atomic<uint32_t> &count = slots()[index].connections;
    uint32_t now = count.load(std::memory_order_relaxed);
    do {
        if (max != 0 && now >= max)
            return false;
    } while (!count.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
    return true;
}

void TokenTable::dropConnection(uint32_t index)
{
    std::atomic<uint32_t> &count = slots()[index].connections;
    uint32_t now = count.load(std::memory_order_relaxed);
    while (now != 0 && !count.compare_exchange_weak(now, now - 1, std::memory_order_relaxed)) {
    }
}

void TokenTable::noteRequest(uint32_t index, uint64_t bytes, std::string_view peer, int64_t nowWallNs)
{
    TokenSlot &slot = slots()[index];
    slot.bytesUsed.fetch_add(bytes, std::memory_order_relaxed);
    slot.requests.fetch_add(1, std::memory_order_relaxed);
    slot.lastUsedNs.store(nowWallNs, std::memory_order_relaxed);
    uint32_t seq = slot.peerSeq.load(std::memory_order_relaxed);
    if ((seq & 1) || !slot.peerSeq.compare_exchange_strong(seq, seq + 1, std::memory_order_acquire))
        return;
    std::atomic_thread_fence(std::memory_order_release);
    copyText(slot.lastPeer, sizeof slot.lastPeer, peer.data(), peer.size());
    slot.peerSeq.store(seq + 2, std::memory_order_release);
}

// Sequentially consistent: a reservation reads bytesReserved before bytesUsed, a settlement adds to
// bytesUsed before it subtracts from bytesReserved, so the sum a reservation checks never misses a body.
bool TokenTable::reserveBytes(uint32_t index, uint64_t bytes, uint64_t limit, uint64_t &used)
{
    if (limit == 0)
        return true;
    TokenSlot &slot = slots()[index];
    uint64_t reserved = slot.bytesReserved.load();
    for (;;) {
        used = slot.bytesUsed.load() + reserved;
        if (used > limit || bytes > limit - used)
            return false;
        if (slot.bytesReserved.compare_exchange_weak(reserved, reserved + bytes))
            return true;
    }
}

void TokenTable::settleBytes(uint32_t index, uint64_t sent, uint64_t reserved)
{
    TokenSlot &slot = slots()[index];
    slot.bytesUsed.fetch_add(sent);
    uint64_t now = slot.bytesReserved.load();
    while (reserved != 0 && !slot.bytesReserved.compare_exchange_weak(now, now - std::min(now, reserved))) {
    }
}

std::string TokenTable::lastPeer(uint32_t index) const
{
    const TokenSlot &slot = slots()[index];
    for (int attempt = 0; attempt < 100; ++attempt) {
        const uint32_t before = slot.peerSeq.load(std::memory_order_acquire);
        if (before & 1)
            continue;
        std::string peer = textOf(slot.lastPeer, sizeof slot.lastPeer);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (slot.peerSeq.load(std::memory_order_relaxed) == before)
            return peer;
    }
    return {};
}

bool TokenTable::isUsable(uint32_t index, uint32_t serial, int64_t nowWallNs) const
{
    const TokenSlot &slot = slots()[index];
    const int64_t expires = slot.expiresAtNs.load(std::memory_order_relaxed);
    return slot.state.load(std::memory_order_acquire) == TokenState::Active
           && slot.serial.load(std::memory_order_relaxed) == serial && (expires == 0 || nowWallNs < expires);
}

} // namespace ferry::server
