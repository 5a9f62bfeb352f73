#include "worker/token_access.h"

#include "base/clock.h"

namespace ferry::server {

void grantToken(Session &session, const TokenView &view, const Grant &anonymous)
{
    session.negotiated.tokenSlot = view.index + 1;
    session.negotiated.tokenSerial = view.serial;
    session.access.tokenId = view.id;
    session.access.tokenLabel = view.label;
    session.access.grant = widen(anonymous, view.scope);
}

void restoreToken(Session &session, const WorkerAccess &policy)
{
    session.access.grant = policy.anonymous;
    const uint32_t slot = session.negotiated.tokenSlot;
    if (slot == 0 || !policy.tokens || slot > policy.tokens->slotCount())
        return;
    std::optional<TokenView> view = policy.tokens->read(slot - 1);
    if (view && view->serial == session.negotiated.tokenSerial) {
        grantToken(session, *view, policy.anonymous);
        return;
    }
    session.access.tokenId = "(gone)"; // checkToken() says Revoked: the next request is refused
}

TokenCheck checkToken(const Session &session, const TokenTable *table, int64_t nowWallNs)
{
    const uint32_t slot = session.negotiated.tokenSlot;
    if (slot == 0)
        return TokenCheck::Anonymous;
    if (!table || slot > table->slotCount())
        return TokenCheck::Revoked;
    if (table->isUsable(slot - 1, session.negotiated.tokenSerial, nowWallNs))
        return TokenCheck::Holds;
    const TokenSlot &held = table->slot(slot - 1);
    const int64_t expires = held.expiresAtNs.load(std::memory_order_relaxed);
    const bool same = held.serial.load(std::memory_order_relaxed) == session.negotiated.tokenSerial;
    const bool active = held.state.load(std::memory_order_acquire) == TokenState::Active;
    return same && active && expires != 0 && nowWallNs >= expires ? TokenCheck::Expired : TokenCheck::Revoked;
}

bool isTokenDead(const Session &session, const TokenTable *table)
{
    if (session.negotiated.tokenSlot == 0)
        return false;
    const TokenCheck check = checkToken(session, table, wallClockNs());
    return check == TokenCheck::Revoked || check == TokenCheck::Expired;
}

void showToken(WorkerSlot &slot, const ConnectionAccess &access)
{
    copyText(slot.tokenId, sizeof slot.tokenId, access.tokenId.data(), access.tokenId.size());
    copyText(slot.tokenLabel, sizeof slot.tokenLabel, access.tokenLabel.data(), access.tokenLabel.size());
}

} // namespace ferry::server
