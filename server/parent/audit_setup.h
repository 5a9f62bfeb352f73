// Start-up of the audit log (server/audit): where it lives (--audit-log; by default audit.log in the
// state directory, never inside the served root) and opening it for the parent, whose workers inherit it.
#pragma once

#include "audit/audit_log.h"
#include "config/options.h"

#include <atomic>
#include <string>

namespace ferry::server {

// Pure: the file --audit-log names ("" = off), the state directory's audit.log by default.
// `options.stateDir` must be filled in (prepareTlsState()).
std::string auditLogPath(const Options &options);

// Throws ConfigError when the audit log would be inside the served root. Reads only.
void refuseAuditLogInRoot(const Options &options);

// Opens the audit log (disabled with --audit-log off), making the default state directory if it is not
// there yet. `reopenGeneration` is the scoreboard's counter. Throws ConfigError (exit 2) with one sentence:
// a path inside the served root, or a file that cannot be opened.
audit::AuditLog openAuditLog(const Options &options, const std::atomic<uint32_t> *reopenGeneration);

} // namespace ferry::server
