// How long the admin plane waits on a client before it gives up on it (docs/ADMIN.md §1, §4.4).
#pragma once

#include <chrono>

namespace ferry::admin {

struct AdminTimeouts {
    std::chrono::milliseconds idle;       // AdminIdleTimeoutMs: a client with no subscription and no request
    std::chrono::milliseconds evictIdle;  // EvictMinIdleMs (never above `idle`)
    std::chrono::milliseconds auditStall; // AuditStallMs: an audit subscriber that takes no line
};

// The constants of admin_server.h. Test builds (FERRY_TEST_HOOKS, as in server/worker; the server-only
// build has none) take shorter ones from FERRY_TEST_ADMIN_IDLE_MS and FERRY_TEST_AUDIT_STALL_MS, so that
// tests need not wait a minute; they grant nothing (whoever sets the server's environment can stop it).
AdminTimeouts adminTimeouts();

} // namespace ferry::admin
