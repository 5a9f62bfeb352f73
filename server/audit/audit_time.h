// The audit log's timestamps: RFC 3339 in UTC with milliseconds ("2026-12-01T12:23:43.123Z").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::server::audit {

// Now, from the wall clock (CLOCK_REALTIME), in Unix milliseconds: what a record's time is.
int64_t wallClockMs();

std::string formatTime(int64_t unixMs);
// formatTime(), appended to `out`; the date and time of day are formatted once per second.
void appendTime(int64_t unixMs, std::string &out);
// The inverse of formatTime(); also accepts a time without milliseconds. Nothing else (no offsets but Z).
std::optional<int64_t> parseTime(std::string_view text);

} // namespace ferry::server::audit
