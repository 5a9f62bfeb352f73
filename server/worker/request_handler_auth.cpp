// RequestHandler and tokens (docs/PROTOCOL.md §10.2, §10.6): AUTH, the check before each request under a
// token, and its usage. A refused AUTH closes the connection, so each guess costs one; the secret is never
// logged or sent back. Refusals go through sendError(), which records their code for the audit log.
#include "worker/request_handler.h"

#include "base/clock.h"
#include "worker/token_access.h"

namespace ferry::server {

using proto::ErrorCode;

AfterRequest RequestHandler::auth(ClientIo &io, Session &session, const proto::AuthRequest &request)
{
    beginRequest("", 0);
    std::optional<SecretHash> hash = hashOfSecret(request.token);
    std::optional<TokenView> view;
    if (hash && m_accessPolicy.tokens)
        view = m_accessPolicy.tokens->findByHash(*hash);
    if (!view || view->state != TokenState::Active) {
        sendError(io, ErrorCode::Unauthorized, "this token is unknown or has been revoked");
        return AfterRequest::Close;
    }
    if (view->expiresAtNs != 0 && wallClockNs() >= view->expiresAtNs) {
        sendError(io, ErrorCode::TokenExpired, "this token has expired");
        return AfterRequest::Close;
    }
    if (!m_accessPolicy.tokens->addConnection(view->index, view->maxConnections)) {
        io.sendMessage(proto::Error{ErrorCode::Busy, "this token's " + std::to_string(view->maxConnections)
                                                         + " connections are all in use"});
        return AfterRequest::Close;
    }
    m_accessPolicy.tokens->dropConnectionOf(session.negotiated.tokenSlot); // a later AUTH replaces the token
    grantToken(session, *view, m_accessPolicy.anonymous);
    {
        SlotWriteGuard guard(m_slot); // the scoreboard shows the token from now on
        showToken(m_slot, session.access);
    }
    const TokenSlot &slot = m_accessPolicy.tokens->slot(view->index);
    proto::AuthReply reply{view->id,       view->label,    view->scope,
                           view->expiresAtNs, view->rate,  view->maxBytes,
                           slot.bytesUsed.load(std::memory_order_relaxed)};
    return io.sendMessage(reply) == IoOutcome::Ok ? AfterRequest::KeepOpen : AfterRequest::Close;
}

bool RequestHandler::tokenStillHolds(ClientIo &io, const Session &session, AfterRequest &refused)
{
    switch (checkToken(session, m_accessPolicy.tokens, wallClockNs())) {
    case TokenCheck::Anonymous:
    case TokenCheck::Holds: return true;
    case TokenCheck::Revoked:
        sendError(io, ErrorCode::Unauthorized, "this connection's token has been revoked");
        break;
    case TokenCheck::Expired:
        sendError(io, ErrorCode::TokenExpired, "this connection's token has expired");
        break;
    }
    refused = AfterRequest::Close; // the token is dead: a client starts again on a new connection
    return false;
}

bool RequestHandler::withinQuota(ClientIo &io, AfterRequest &refused)
{
    const uint32_t slot = m_session->negotiated.tokenSlot;
    if (slot == 0 || !m_accessPolicy.tokens || slot > m_accessPolicy.tokens->slotCount())
        return true;
    const TokenSlot &token = m_accessPolicy.tokens->slot(slot - 1);
    const uint64_t limit = token.maxBytes.load(std::memory_order_relaxed);
    if (limit == 0 || token.bytesUsed.load(std::memory_order_relaxed) < limit)
        return true;
    refused = sendError(io, ErrorCode::QuotaExceeded,
                        "this token's " + std::to_string(limit) + " bytes are used up");
    return false;
}

SharedLimit RequestHandler::tokenLimit() const
{
    const uint32_t slot = m_session ? m_session->negotiated.tokenSlot : 0;
    if (slot == 0 || !m_accessPolicy.tokens || slot > m_accessPolicy.tokens->slotCount())
        return {};
    TokenSlot &token = m_accessPolicy.tokens->slot(slot - 1);
    return {&token.paidUntilNs, token.rate.load(std::memory_order_relaxed)};
}

void RequestHandler::countForToken(const Session &session, uint64_t bytes)
{
    const uint32_t slot = session.negotiated.tokenSlot;
    if (slot == 0 || !m_accessPolicy.tokens || slot > m_accessPolicy.tokens->slotCount())
        return;
    m_accessPolicy.tokens->noteRequest(slot - 1, bytes, session.peer, wallClockNs());
}

} // namespace ferry::server
