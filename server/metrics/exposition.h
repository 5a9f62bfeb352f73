// The server's metrics as text for Prometheus and other collectors. Pure: a STATUS object (docs/ADMIN.md §4.1)
// in, exposition text out. One renderer serves `ferry-ctl metrics` and the --metrics-listen HTTP endpoint.
#pragma once

#include "adminproto/json.h"

#include <string>
#include <string_view>

namespace ferry::metrics {

enum class Format {
    Prometheus,  // the classic text format 0.0.4: what node_exporter's textfile collector reads
    OpenMetrics, // OpenMetrics 1.0.0: counters as `name` families with `name_total` samples, ends in "# EOF"
};

// The Content-Type that goes with each format.
std::string_view contentType(Format format);

// Renders the STATUS object. Series are stable: the only per-worker label is `slot`, and a worker's state
// is a family of its own with one 0/1 series per state, so no series changes identity when a worker
// changes state or is replaced. Figures /proc could not provide (reported as -1) are left out.
std::string renderMetrics(const admin::Json &status, Format format);

} // namespace ferry::metrics
