// The tokens in shared memory: what workers know of the token store (access/token_store.h), and the usage
// they count under each token. Mapped by the parent before any fork, like the scoreboard, with one slot
// per token of the store (MaxTokens); workers never read the store's file.
//
// Contract:
//  - The parent alone writes a slot's token fields (hash, id, label, scope, limits, state), inside the
//    slot's seqlock `seq`. It gives a slot to a new token only while the slot is Empty, and bumps `serial`
//    each time, so a connection that holds (index, serial) can tell that its token is the one still there.
//  - Revocation is one store of `state` (Revoked); expiry is `expiresAtNs` against the wall clock. A
//    worker checks both before every request and between the chunks of a body, so either takes effect
//    within a chunk's time (well under a second).
//  - The usage fields have many writers, the workers: atomic read-modify-write only (fetch_add, CAS).
//    The parent reads them once a second and writes them into the store's file.
#pragma once

#include "access/token_secret.h"
#include "ipc/shared_region.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::server {

enum class TokenState : uint8_t { Empty = 0, Active = 1, Revoked = 2 };

constexpr size_t TokenIdTextSize = 16;
constexpr size_t TokenLabelTextSize = 208;  // MaxTokenLabel (200) + NUL, rounded
constexpr size_t TokenScopeTextSize = 1032; // MaxTokenScope (1024) + NUL, rounded
constexpr size_t TokenPeerTextSize = 64;

struct alignas(64) TokenSlot {
    // ---- written by the parent (seqlock) ----
    std::atomic<uint32_t> seq{0};
    std::atomic<uint32_t> serial{0};
    std::atomic<TokenState> state{TokenState::Empty};
    std::atomic<uint8_t> hash[32]{};
    std::atomic<char> id[TokenIdTextSize]{};
    std::atomic<char> label[TokenLabelTextSize]{};
    std::atomic<char> scope[TokenScopeTextSize]{};
    std::atomic<int64_t> expiresAtNs{0}; // wall clock, 0 = never
    std::atomic<uint64_t> rate{0};
    std::atomic<uint32_t> maxConnections{0};
    std::atomic<uint64_t> maxBytes{0};
    // ---- usage, written by every worker (atomic RMW) ----
    std::atomic<uint64_t> bytesUsed{0};
    // Bytes of bodies under way, reserved when each started (reserveBytes()): counted against maxBytes
    // with bytesUsed, so that concurrent GETs cannot together overshoot it. Not saved: a restart drops it.
    std::atomic<uint64_t> bytesReserved{0};
    std::atomic<uint64_t> requests{0};
    std::atomic<int64_t> lastUsedNs{0}; // wall clock
    std::atomic<uint32_t> peerSeq{0}; // odd while a worker writes lastPeer: a try-lock and a seqlock in one
    std::atomic<char> lastPeer[TokenPeerTextSize]{};
    std::atomic<uint32_t> connections{0}; // connections holding the token now
    // The token's rate schedule (worker/pacing.h), shared by all its connections in every worker: each
    // reserves its chunks here with a CAS, as with the global limit.
    std::atomic<int64_t> paidUntilNs{0};
};

// A consistent copy of a slot's token fields.
struct TokenView {
    uint32_t index = 0;
    uint32_t serial = 0;
    TokenState state = TokenState::Empty;
    SecretHash hash{};
    std::string id, label, scope;
    int64_t expiresAtNs = 0;
    uint64_t rate = 0;
    uint32_t maxConnections = 0;
    uint64_t maxBytes = 0;
};

// What the parent publishes for one token.
struct TokenFields {
    SecretHash hash{};
    std::string_view id, label, scope;
    int64_t expiresAtNs = 0;
    uint64_t rate = 0;
    uint32_t maxConnections = 0;
    uint64_t maxBytes = 0;
};

// The token slots in their shared region (ipc/shared_region.h). Created before fork; move-only.
class TokenTable {
public:
    // Maps `slotCount` zeroed slots. Throws std::system_error on mmap failure (start-up only).
    explicit TokenTable(uint32_t slotCount);

    uint32_t slotCount() const { return uint32_t(m_region.size() / sizeof(TokenSlot)); }
    TokenSlot &slot(uint32_t index) { return slots()[index]; }
    const TokenSlot &slot(uint32_t index) const { return slots()[index]; }

    // ---- parent ----
    // Puts a token into the Empty slot `index` with the given usage so far, state Active (or Revoked).
    void publish(uint32_t index, const TokenFields &fields, bool revoked, uint64_t bytesUsed, uint64_t requests,
                 int64_t lastUsedNs);
    void revoke(uint32_t index) { slots()[index].state.store(TokenState::Revoked, std::memory_order_release); }

    // ---- readers (workers, the parent) ----
    // The slot's token fields, or nothing if it is Empty or being written.
    std::optional<TokenView> read(uint32_t index) const;
    // The slot whose token has this hash (Active or Revoked: the caller tells them apart), comparing every
    // hash in constant time. O(slots).
    std::optional<TokenView> findByHash(const SecretHash &hash) const;
    // Whether the token the caller holds as (index, serial) may still be used at `nowWallNs`.
    bool isUsable(uint32_t index, uint32_t serial, int64_t nowWallNs) const;

    // ---- connections holding a token (workers count them up at AUTH; whoever closes one counts it down) ----
    // Counts one more connection for slot `index` unless `max` (0 = none) are already counted.
    bool addConnection(uint32_t index, uint32_t max);
    void dropConnection(uint32_t index);
    // The same for SessionState::tokenSlot (index + 1; 0 = no token: nothing to drop).
    void dropConnectionOf(uint32_t tokenSlot)
    {
        if (tokenSlot != 0 && tokenSlot <= slotCount())
            dropConnection(tokenSlot - 1);
    }

    // ---- workers: usage ----
    // Counts a finished request of `bytes` body bytes from `peer`. Should another worker be writing the
    // last peer at this very moment, this one leaves it to that one (both are equally recent).
    void noteRequest(uint32_t index, uint64_t bytes, std::string_view peer, int64_t nowWallNs);
    // Reserves `bytes` of a GET body against the token's `limit` (0 = none: nothing reserved, true). False,
    // with `used` set to the bytes used and reserved, if they do not fit.
    bool reserveBytes(uint32_t index, uint64_t bytes, uint64_t limit, uint64_t &used);
    // A body is over: `sent` bytes count as used, and its reservation of `reserved` bytes is given back.
    void settleBytes(uint32_t index, uint64_t sent, uint64_t reserved);
    // The last peer, as the last writer left it ("" if it cannot be read consistently now).
    std::string lastPeer(uint32_t index) const;

private:
    TokenSlot *slots() const { return m_region.at<TokenSlot>(0); }
    SharedRegion m_region;
};

} // namespace ferry::server
