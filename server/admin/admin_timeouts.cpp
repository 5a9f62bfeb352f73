#include "admin/admin_timeouts.h"

#include "admin/admin_server.h"

#include <algorithm>
#include <cstdlib>

namespace ferry::admin {

namespace {

std::chrono::milliseconds fromEnvironment([[maybe_unused]] const char *name, int usualMs)
{
#ifdef FERRY_TEST_HOOKS
    if (const char *text = std::getenv(name); text && std::atoi(text) > 0)
        return std::chrono::milliseconds(std::atoi(text));
#endif
    return std::chrono::milliseconds(usualMs);
}

} // namespace

AdminTimeouts adminTimeouts()
{
    const auto idle = fromEnvironment("FERRY_TEST_ADMIN_IDLE_MS", AdminIdleTimeoutMs);
    return {idle, std::min(idle, std::chrono::milliseconds(EvictMinIdleMs)),
            fromEnvironment("FERRY_TEST_AUDIT_STALL_MS", AuditStallMs)};
}

} // namespace ferry::admin
