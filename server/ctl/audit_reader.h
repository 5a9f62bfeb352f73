// `ferry-ctl audit`: reading an audit log file whatever it holds. Lines that are not audit records (a
// last line cut short by a full disk or by a writer still busy, garbage) are counted and skipped, never
// fatal; a line longer than any the server writes is skipped unread.
#pragma once

#include "audit/audit_record.h"

#include <cstdio>
#include <string>
#include <vector>

namespace ferry::ctl {

struct AuditLine {
    server::audit::Record record;
    std::string text; // the line as written (without '\n'), for --json
};

struct AuditFile {
    std::vector<AuditLine> lines;
    size_t damaged = 0;      // lines skipped
    std::string firstDamage; // "line 17: not a complete JSON object ..." for the first of them
};

// Skipped unread beyond this: the server's lines are at most audit::MaxLineBytes; the margin is for
// lines from a newer server with more fields.
constexpr size_t MaxReadLineBytes = 64 * 1024;

// Reads every line of `file` (an open stream; not closed).
AuditFile readAuditStream(std::FILE *file);
// Opens and reads `path`. False with `error` ("cannot read the audit log X: ...") if it cannot be opened
// or read (a directory, an I/O error).
bool readAuditFile(const std::string &path, AuditFile &out, std::string &error);

} // namespace ferry::ctl
