// `ferry-ctl audit`'s table: one row per record, newest last, as a person scans it (docs/ADMIN.md §7).
#pragma once

#include "ctl/audit_reader.h"

#include <string>
#include <vector>

namespace ferry::ctl {

// TIME (UTC), PEER, TOKEN (label, else id, else "-"), REQUEST, RESULT, BYTES, MS, PATH with the range.
std::string renderAuditTable(const std::vector<const AuditLine *> &lines);

} // namespace ferry::ctl
