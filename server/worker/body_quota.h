// What one GET body holds of the limits shared with other connections (docs/SECURITY.md "Limits"): a pin
// on its client address's slot (ipc/address_table.h), whose rate schedule the body paces on, and the
// bytes it reserved when it started in the address's quota window and in its token's allowance. Taking
// the whole length up front is what makes a quota exact: a GET that would go past it is refused before its
// first byte, and a body under way is never cut for quota, as its bytes were set aside when it started.
// When the body is over, what it did not send is given back and what it sent counts as the token's usage.
#pragma once

#include "ipc/address_table.h"
#include "ipc/scoreboard.h"
#include "ipc/token_table.h"
#include "worker/pacing.h"

#include <cstdint>
#include <optional>
#include <string>

namespace ferry::server {

enum class QuotaRefusal {
    None,
    AddressQuota, // the address's bytes for this window would be exceeded
    TokenQuota,   // the token's --max-bytes would be exceeded
    TableFull,    // every slot the address may use has a body in flight
};

class BodyQuota {
public:
    BodyQuota() = default;
    ~BodyQuota() { settle(); }
    BodyQuota(BodyQuota &&other) noexcept { *this = std::move(other); }
    BodyQuota &operator=(BodyQuota &&other) noexcept;
    BodyQuota(const BodyQuota &) = delete;
    BodyQuota &operator=(const BodyQuota &) = delete;

    // Takes what a body of `length` bytes needs for the client at `peer` under token slot `tokenSlot`
    // (index + 1, 0 = none). On refusal nothing is held and `message` says why in one sentence.
    QuotaRefusal take(ControlBlock &control, AddressTable *addresses, TokenTable *tokens, const std::string &peer,
                      uint32_t tokenSlot, uint64_t length, std::string &message);
    // The address's rate schedule for the body's pacer (none if no per-address rate applies).
    SharedLimit addressLimit() const;
    // The body's bytes so far (the settlement counts them).
    void setSent(uint64_t sent) { m_sent = sent; }
    // Gives back the unsent part of the reservations, counts the sent bytes for the token, unpins the
    // address. Idempotent; the destructor calls it.
    void settle();

private:
    bool takeAddress(const std::string &peer, uint64_t length, std::string &message, QuotaRefusal &refusal);

    ControlBlock *m_control = nullptr;
    AddressTable *m_addresses = nullptr;
    TokenTable *m_tokens = nullptr;
    std::optional<uint32_t> m_address;  // the pinned slot
    bool m_addressReserved = false;
    WindowTicket m_ticket;
    uint32_t m_tokenSlot = 0;           // index + 1; 0 = none
    uint64_t m_tokenReserved = 0;
    uint64_t m_sent = 0;
};

} // namespace ferry::server
