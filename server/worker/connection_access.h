// What one client connection may read, and under which token. The worker keeps exactly one of these per
// connection (Session::access, worker/session.h) and hands it to every request; this is the one place to
// read a connection's token id and label from (the scoreboard, the audit record). Never the secret.
#pragma once

#include "access/grant.h"

#include <string>

namespace ferry::server {

struct ConnectionAccess {
    Grant grant;            // the anonymous grant (--anonymous), widened by the token's scope after AUTH
    std::string tokenId;    // the token's public id; "" = anonymous
    std::string tokenLabel; // the administrator's label for it (may be empty)

    bool hasToken() const { return !tokenId.empty(); }
};

} // namespace ferry::server
