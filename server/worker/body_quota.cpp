#include "worker/body_quota.h"

#include "base/clock.h"

#include <utility>

namespace ferry::server {

BodyQuota &BodyQuota::operator=(BodyQuota &&other) noexcept
{
    if (this != &other) {
        settle();
        m_control = std::exchange(other.m_control, nullptr);
        m_addresses = std::exchange(other.m_addresses, nullptr);
        m_tokens = std::exchange(other.m_tokens, nullptr);
        m_address = std::exchange(other.m_address, std::nullopt);
        m_addressReserved = std::exchange(other.m_addressReserved, false);
        m_ticket = other.m_ticket;
        m_tokenSlot = std::exchange(other.m_tokenSlot, 0);
        m_tokenReserved = std::exchange(other.m_tokenReserved, 0);
        m_sent = std::exchange(other.m_sent, 0);
    }
    return *this;
}

QuotaRefusal BodyQuota::take(ControlBlock &control, AddressTable *addresses, TokenTable *tokens,
                             const std::string &peer, uint32_t tokenSlot, uint64_t length, std::string &message)
{
    settle();
    m_control = &control;
    m_addresses = addresses;
    m_tokens = tokens;
    QuotaRefusal refusal = QuotaRefusal::None;
    if (!takeAddress(peer, length, message, refusal))
        return refusal;
    if (tokenSlot == 0 || !tokens || tokenSlot > tokens->slotCount())
        return QuotaRefusal::None;
    const uint64_t limit = tokens->slot(tokenSlot - 1).maxBytes.load(std::memory_order_relaxed);
    uint64_t used = 0;
    if (!tokens->reserveBytes(tokenSlot - 1, length, limit, used)) {
        settle();
        message = "this token's " + std::to_string(limit) + " bytes would be exceeded: " + std::to_string(used)
                  + " are used or under way, this GET needs " + std::to_string(length);
        return QuotaRefusal::TokenQuota;
    }
    m_tokenSlot = tokenSlot;
    m_tokenReserved = limit == 0 ? 0 : length;
    return QuotaRefusal::None;
}

bool BodyQuota::takeAddress(const std::string &peer, uint64_t length, std::string &message, QuotaRefusal &refusal)
{
    const uint64_t rate = m_control->perAddressRate.load(std::memory_order_relaxed);
    const uint64_t limit = m_control->perAddressMaxBytes.load(std::memory_order_relaxed);
    if (!m_addresses || (rate == 0 && limit == 0))
        return true;
    std::optional<AddressKey> key = addressKeyOf(peer);
    if (!key)
        return true; // not an IP address (a Unix socket in a test): no address to count under
    const int64_t now = monotonicNs();
    m_address = m_addresses->acquire(*key, now);
    if (!m_address) {
        message = "too many client addresses are downloading at once; try again shortly";
        refusal = QuotaRefusal::TableFull;
        return false;
    }
    if (limit == 0)
        return true;
    const int64_t windowMs = m_control->quotaWindowMs.load(std::memory_order_relaxed);
    uint64_t used = 0;
    if (!m_addresses->reserveBytes(*m_address, length, limit, windowMs, now, m_ticket, used)) {
        settle();
        message = "this address may download " + std::to_string(limit) + " bytes per "
                  + std::to_string(windowMs / 1000) + " s: " + std::to_string(used)
                  + " are used or under way in this window, this GET needs " + std::to_string(length);
        refusal = QuotaRefusal::AddressQuota;
        return false;
    }
    m_addressReserved = true;
    return true;
}

SharedLimit BodyQuota::addressLimit() const
{
    if (!m_address || !m_control)
        return {};
    const uint64_t rate = m_control->perAddressRate.load(std::memory_order_relaxed);
    return {&m_addresses->slot(*m_address).paidUntilNs, rate};
}

void BodyQuota::settle()
{
    if (m_address) {
        if (m_addressReserved && m_ticket.bytes > m_sent)
            m_addresses->refundBytes(*m_address, m_ticket, m_ticket.bytes - m_sent);
        m_addresses->release(*m_address, monotonicNs());
    }
    if (m_tokenSlot != 0)
        m_tokens->settleBytes(m_tokenSlot - 1, m_sent, m_tokenReserved);
    m_address.reset();
    m_addressReserved = false;
    m_tokenSlot = 0;
    m_tokenReserved = 0;
    m_sent = 0;
}

} // namespace ferry::server
