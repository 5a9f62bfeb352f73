// `ferry-ctl audit`: the subcommand's options and its run. It reads the audit log file itself, so it
// works while the server is down; the admin socket is not used.
#pragma once

#include "ctl/audit_query.h"

namespace CLI {
class App;
}

namespace ferry::ctl {

struct Command;

// Adds `audit` to `app`; what it parses goes to command.audit (and command.kind).
void addAuditCommand(CLI::App &app, Command &command);

// Prints the records `query` selects from its file (and the rotated FILE.1 first, when --since reaches
// back before the file's first record). Returns the exit code: 0, or Exit::Protocol (5) with one line on
// stderr when the file cannot be read. Skipped damaged lines are counted on stderr.
int runAudit(const AuditQuery &query);

} // namespace ferry::ctl
