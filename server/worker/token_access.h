// A connection's token, between the session (worker/session.h) and the token table in shared memory
// (ipc/token_table.h): granting it after AUTH, finding it again when a parked connection comes back to
// any worker, and telling whether it still holds (revocation and expiry take effect here).
#pragma once

#include "ipc/scoreboard.h"
#include "worker/session.h"

#include <cstdint>

namespace ferry::server {

// Gives `session` the token of `view`: its id and label, and the anonymous grant widened by its scope.
void grantToken(Session &session, const TokenView &view, const Grant &anonymous);
// A connection handed over with a token (SessionState::tokenSlot) gets that token's grant again. If the
// slot no longer holds it, the session keeps the token's id so that the next request is refused.
void restoreToken(Session &session, const WorkerAccess &policy);

enum class TokenCheck {
    Anonymous, // no token on this connection
    Holds,     // the token may be used
    Revoked,   // revoked, or its slot now holds another token
    Expired,
};
TokenCheck checkToken(const Session &session, const TokenTable *table, int64_t nowWallNs);
// Whether the connection holds a token that no longer holds (the transfer loop's abort test: two atomic
// loads and a clock read when there is a token, one comparison when there is none).
bool isTokenDead(const Session &session, const TokenTable *table);
// Writes the connection's token id and label (never the secret) into the worker's scoreboard slot, inside
// the caller's SlotWriteGuard: when the slot starts showing the connection, and when AUTH changes it.
void showToken(WorkerSlot &slot, const ConnectionAccess &access);

} // namespace ferry::server
