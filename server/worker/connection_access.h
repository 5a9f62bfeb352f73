// What one client connection may read, and under which token. The worker keeps exactly one of these per
// connection (Session::access, worker/session.h) and hands it to every request; this is the one place to
// read a connection's token id and label from (the scoreboard, the audit record). Never the secret.
#pragma once

#include "access/grant.h"
#include "ipc/address_table.h"
#include "ipc/token_table.h"

#include <string>

namespace ferry::server {

struct ConnectionAccess {
    Grant grant;            // the anonymous grant (--anonymous), widened by the token's scope after AUTH
    std::string tokenId;    // the token's public id; "" = anonymous
    std::string tokenLabel; // the administrator's label for it (may be empty)

    bool hasToken() const { return !tokenId.empty(); }
};

// What a worker needs to decide who may read what (access/grant.h; docs/SECURITY.md).
struct WorkerAccess {
    Grant anonymous = Grant::all(); // --anonymous: what a connection may read before, or without, AUTH
    TokenTable *tokens = nullptr;   // the parent's tokens in shared memory (ipc/token_table.h)
    AddressTable *addresses = nullptr; // the client addresses, for the per-address limits (ipc/address_table.h)
};

} // namespace ferry::server
