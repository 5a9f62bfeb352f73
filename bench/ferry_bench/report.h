// ferry-bench's output: a human summary and one JSON line for scripts.
#pragma once

#include "load_thread.h"
#include "options.h"

#include <cstdio>

namespace ferry::bench {

void printSummary(std::FILE *out, const Options &options, const Stats &stats, double seconds);
// One line, starting with '{', fields: tool, requests, seconds, rps, bytes, bytes_per_s,
// body_bytes, errors (and each kind), p50_us, p90_us, p99_us, max_us.
void printJson(std::FILE *out, const Stats &stats, double seconds);

} // namespace ferry::bench
