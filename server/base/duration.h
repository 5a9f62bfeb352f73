// Durations on the command line and in the config file: a number with an optional unit.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::server {

using Millis = std::chrono::milliseconds;

// "10" and "10s" are seconds, "300ms" milliseconds, "2m" minutes, "24h" hours, "7d" days; fractions
// allowed ("0.5", "1.5m").
// Negative, empty, unit-only or trailing-garbage text gives nullopt.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);
// Plain unsigned integers ("64"); nullopt on anything else or overflow.
std::optional<uint64_t> parseUnsigned(std::string_view text);
// Byte counts and rates: "1048576", "512k", "2M", "1G" (powers of 1024); nullopt on anything else
// or overflow. The server's --rate-limit and ferry-ctl's rate-limit take the same spelling.
std::optional<uint64_t> parseByteCount(std::string_view text);

} // namespace ferry::server
