// `ferry-ctl audit`: which audit records to show (docs/ADMIN.md §7). Pure: records and text in, answers
// out; reading the files is audit_reader.h's, printing audit_render.h's.
#pragma once

#include "audit/audit_record.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::ctl {

struct AuditQuery {
    std::string file;                 // the audit log; "" = audit.log in the default state directory
    std::optional<int64_t> sinceMs;   // only records at or after this Unix time (ms)
    std::string path;                 // only this path and what is below it ("" = all)
    std::string token;                // only records of this token id
    std::string peer;                 // only this client: "host" (any port) or "host:port"
    bool json = false;                // print the matching lines as they are, not the table
};

// `--since`: a duration back from `nowMs` ("90s", "30m", "1h", "7d", or a combination such as "1h30m"),
// or an RFC 3339 UTC time ("2026-12-01T12:00:00Z"). nullopt if it is neither.
std::optional<int64_t> parseSince(std::string_view text, int64_t nowMs);

// The host part of "host:port" or "[v6]:port", brackets removed.
std::string_view peerHost(std::string_view peer);

bool matches(const AuditQuery &query, const server::audit::Record &record);

} // namespace ferry::ctl
