// ferry-ctl's text output: the mod_status-like table and history lines (metrics: server/metrics).
// Pure: JSON in, text out.
#pragma once

#include "adminproto/json.h"

#include <cstdint>
#include <string>

namespace ferry::ctl {

std::string humanBytes(int64_t bytes);
std::string humanDuration(int64_t seconds);
// STATUS object (docs/ADMIN.md §4.1) as a summary, a scoreboard strip and one row per worker.
std::string renderStatus(const admin::Json &status);
// The `history` samples, one line each.
std::string renderHistory(const admin::Json &samples);
// mod_status letter of a worker state name.
char stateLetter(const std::string &state);

} // namespace ferry::ctl
