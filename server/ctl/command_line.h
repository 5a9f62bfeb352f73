// ferry-ctl's command line (docs/ADMIN.md §7), parsed with CLI11: one subcommand per admin command, each
// with its own --help; an unknown option, a missing argument or a number that does not parse is a usage
// error (exit 2) whose message names the option.
#pragma once

#include "adminproto/json.h"
#include "ctl/audit_query.h"
#include "metrics/exposition.h"

#include <cstdint>
#include <string>
#include <optional>
#include <variant>

namespace ferry::ctl {

// What to do, once the command line has been understood.
struct Command {
    enum class Kind { Status, Identity, Metrics, History, Watch, Request, Audit };

    Kind kind = Kind::Status;
    std::string socketPath;
    bool json = false;          // status, history: print the raw JSON
    int64_t intervalMs = 1000;  // watch
    int64_t count = -1;         // watch: pushes to show, -1 = until interrupted
    metrics::Format metricsFormat = metrics::Format::Prometheus; // metrics --format
    std::string identityCert;     // identity --cert: read the fingerprint from this certificate, offline
    std::string identityStateDir; // identity --state-dir: from the certificate in this state directory
    AuditQuery audit;           // Kind::Audit: which records to show (audit_command.h)
    admin::Json request;        // Kind::Request: the request to send ("v" and "id" are added on sending)
    // Kind::Request: how a successful reply is shown (as text unless `json`; Raw: the reply's JSON line).
    enum class Shown { Raw, TokenCreated, TokenList, TokenRevoked };
    Shown shown = Shown::Raw;
};

// Parses the arguments. A Command to run; or the exit code when nothing is left to do: 0 after --help or
// --version was printed on stdout, 2 after a usage error was printed on stderr.
std::variant<Command, int> parseCommandLine(int argc, const char *const *argv);

// A token's lifetime as `token create --expires` takes it: a whole number with a unit, s, m, h, d or w
// ("7d", "12h", "90m"). Seconds, or nothing if it does not parse or is 0.
std::optional<int64_t> parseLifetime(const std::string &text);

} // namespace ferry::ctl
