// RequestHandler and tokens (docs/PROTOCOL.md §10.2, §10.7): AUTH, the check before each request under a
// token, its usage, and the quotas a GET body takes (body_quota.h). A refused AUTH closes the connection,
// so each guess costs one; the secret is never logged or sent back. Refusals go through sendError(), which
// records their code for the audit log.
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
    // The connection counts once against its token's limit: an AUTH again with the token it holds is
    // counted already (and must not find itself at the limit), another token takes the count over.
    const bool sameToken =
        session.negotiated.tokenSlot == view->index + 1 && session.negotiated.tokenSerial == view->serial;
    if (!sameToken) {
        if (!m_accessPolicy.tokens->addConnection(view->index, view->maxConnections)) {
            sendError(io, ErrorCode::Busy,
                      "this token's " + std::to_string(view->maxConnections) + " connections are all in use");
            return AfterRequest::Close; // BUSY closes (PROTOCOL.md §3.3)
        }
        m_accessPolicy.tokens->dropConnectionOf(session.negotiated.tokenSlot);
    }
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

bool RequestHandler::takeQuota(ClientIo &io, uint64_t length, BodyQuota &quota, AfterRequest &refused)
{
    std::string message;
    const QuotaRefusal refusal = quota.take(m_control, m_accessPolicy.addresses, m_accessPolicy.tokens, m_session->peer,
                                            m_session->negotiated.tokenSlot, length, message);
    switch (refusal) {
    case QuotaRefusal::None: return true;
    case QuotaRefusal::TableFull:
        m_outcome.result = proto::errorCodeName(ErrorCode::Busy);
        io.sendMessage(proto::Busy{1000, message});
        refused = AfterRequest::Close; // BUSY closes (PROTOCOL.md §3.3)
        return false;
    case QuotaRefusal::AddressQuota:
    case QuotaRefusal::TokenQuota: break;
    }
    // QUOTA_EXCEEDED is a version 2 code; a version 1 client gets one it knows (PROTOCOL.md §10.7).
    const bool version2 = m_session->negotiated.protocolVersion >= proto::ProtocolVersion2;
    refused = sendError(io, version2 ? ErrorCode::QuotaExceeded : ErrorCode::Forbidden, message);
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

void RequestHandler::countForToken(const Session &session)
{
    const uint32_t slot = session.negotiated.tokenSlot;
    if (slot == 0 || !m_accessPolicy.tokens || slot > m_accessPolicy.tokens->slotCount())
        return;
    m_accessPolicy.tokens->noteRequest(slot - 1, 0, session.peer, wallClockNs());
}

} // namespace ferry::server
