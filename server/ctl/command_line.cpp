// CLI11 throws while it parses; that is start-up of a one-shot tool, and every throw ends in
// parseCommandLine()'s catch, which turns it into exit code 2 and one line on stderr.
#include "ctl/command_line.h"

#include "access/grant.h"
#include "access/token_store.h"
#include "adminproto/protocol.h"
#include "adminproto/socket_path.h"
#include "ctl/audit_command.h"
#include "base/duration.h"
#include "ctl/admin_client.h"

#include "ferry_version.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>

namespace ferry::ctl {

namespace {

using admin::Json;

// Whole numbers only, checked before CLI11 converts: its own refusal ("Could not convert: SLOT = 1k") does
// not say what was wanted. Slots, counts and ids are never "1k"; at most 18 digits, so int64_t holds it.
class WholeNumber : public CLI::Validator {
public:
    WholeNumber()
    {
        func_ = [](std::string &text) -> std::string {
            const bool digits = !text.empty() && text.size() <= 18
                && text.find_first_not_of("0123456789") == std::string::npos;
            return digits ? std::string() : "'" + text + "' is not a whole number";
        };
    }
};

// Rates, in the server's spelling: 1048576, 512k, 2M, 1G (powers of 1024).
class ByteCount : public CLI::Validator {
public:
    ByteCount()
    {
        func_ = [](std::string &text) -> std::string {
            const auto value = server::parseByteCount(text);
            return value && *value <= uint64_t(INT64_MAX)
                ? std::string()
                : "'" + text + "' is not a byte count (such as 1048576, 512k, 2M, 1G)";
        };
    }
};

const WholeNumber Whole;
const ByteCount Bytes;

// An option whose value becomes request[key] when it is given.
void countOption(CLI::App &sub, Json &request, const std::string &name, const char *key, const std::string &help)
{
    sub.add_option_function<int64_t>(name, [&request, key](int64_t value) { request[key] = value; }, help)
        ->check(Whole)
        ->type_name("N");
}

void rateOption(CLI::App &sub, Json &request, const std::string &name, const char *key, const std::string &help)
{
    sub.add_option_function<std::string>(
           name, [&request, key](const std::string &text) { request[key] = int64_t(*server::parseByteCount(text)); },
           help)
        ->check(Bytes)
        ->type_name("B");
}

// An option whose text becomes request[key] as it is; `check` says what text is allowed.
CLI::Option *textOption(CLI::App &sub, Json &request, const std::string &name, const char *key,
                        const std::string &help)
{
    return sub.add_option_function<std::string>(
        name, [&request, key](const std::string &text) { request[key] = text; }, help);
}

// A subcommand that sends one request, {"cmd": cmd}, plus what its options add.
CLI::App *requestCommand(CLI::App &app, Command &command, const std::string &name, const char *cmd,
                         const std::string &help)
{
    CLI::App *sub = app.add_subcommand(name, help);
    sub->preparse_callback([&command, cmd](std::size_t) {
        command.kind = Command::Kind::Request;
        command.request = Json{{"cmd", cmd}};
    });
    return sub;
}

void addObservers(CLI::App &app, Command &command)
{
    CLI::App *status = app.add_subcommand("status", "Pool and workers, as a table in the spirit of mod_status.");
    status->add_flag("--json", command.json, "print the raw STATUS object instead");
    status->preparse_callback([&command](std::size_t) { command.kind = Command::Kind::Status; });

    CLI::App *identity = app.add_subcommand(
        "identity", "The server's fingerprint, for clients to compare and pin: from the running server, or offline "
                    "from a certificate.");
    CLI::Option *cert = identity->add_option("--cert", command.identityCert, "read it from this certificate (PEM)");
    identity
        ->add_option("--state-dir", command.identityStateDir, "read it from the certificate in this state directory")
        ->excludes(cert);
    identity->preparse_callback([&command](std::size_t) { command.kind = Command::Kind::Identity; });

    CLI::App *metrics = app.add_subcommand(
        "metrics", "Pool totals and one series per worker, as Prometheus text (the default) or OpenMetrics.");
    metrics
        ->add_option("--format", command.metricsFormat, "prometheus (text format 0.0.4) or openmetrics (1.0.0)")
        ->transform(CLI::CheckedTransformer(std::map<std::string, metrics::Format>{
            {"prometheus", metrics::Format::Prometheus}, {"openmetrics", metrics::Format::OpenMetrics}}));
    metrics->preparse_callback([&command](std::size_t) { command.kind = Command::Kind::Metrics; });

    CLI::App *history = app.add_subcommand("history", "The last 10 minutes, one sample per second.");
    history->add_flag("--json", command.json, "print the raw samples instead");
    history->preparse_callback([&command](std::size_t) { command.kind = Command::Kind::History; });

    CLI::App *watch = app.add_subcommand("watch", "Live status, redrawn in the terminal at each push.");
    watch->add_option("--interval", command.intervalMs, "milliseconds between pushes (the server allows 100 to 60000)")
        ->check(Whole)
        ->type_name("MS")
        ->capture_default_str();
    watch->add_option("--count", command.count, "stop after N pushes (default: until interrupted)")
        ->check(Whole)
        ->type_name("N");
    watch->preparse_callback([&command](std::size_t) { command.kind = Command::Kind::Watch; });
}

void addPoolCommands(CLI::App &app, Command &command)
{
    CLI::App *pool =
        requestCommand(app, command, "pool", "pool", "Set pool limits; a limit not given keeps its value.");
    countOption(*pool, command.request, "--min-spare", "min_spare", "keep at least N idle workers");
    countOption(*pool, command.request, "--max-spare", "max_spare", "retire idle workers beyond N");
    countOption(*pool, command.request, "--max-workers", "max_workers", "never grow beyond N workers");
    countOption(*pool, command.request, "--max-requests", "max_requests",
                "recycle a worker after N requests, 0 = never");

    requestCommand(app, command, "drain", "drain", "Stop accepting connections; running transfers finish.");
    requestCommand(app, command, "resume", "resume", "Accept connections again after a drain.");
    requestCommand(app, command, "reload", "reload", "Reread the config file and replace the workers gracefully.");

    CLI::App *rate = requestCommand(app, command, "rate-limit", "rate_limit",
                                    "Set rate limits in bytes/s (k, M, G: powers of 1024), 0 = unlimited.");
    rateOption(*rate, command.request, "--per-connection", "per_connection", "cap each transfer");
    rateOption(*rate, command.request, "--global", "global", "cap all transfers together");
    rateOption(*rate, command.request, "--per-ip", "per_ip",
               "cap all transfers of one client address together (from each transfer's start)");
    rate->callback([&command] {
        if (!admin::member(command.request, "per_connection") && !admin::member(command.request, "global")
            && !admin::member(command.request, "per_ip"))
            throw CLI::ValidationError("rate-limit", "give --per-connection B, --global B, --per-ip B or several");
    });
}

void addTargetedCommands(CLI::App &app, Command &command)
{
    CLI::App *kill = requestCommand(app, command, "kill-worker", "kill_worker",
                                    "Stop the worker in a slot: after its transfer, or at once with --now.");
    countOption(*kill, command.request, "SLOT", "slot", "the scoreboard slot (ferry-ctl status shows it)");
    kill->get_option("SLOT")->required();
    kill->add_flag_callback("--now", [&command] { command.request["graceful"] = false; }, "kill at once (SIGKILL)");
    kill->callback([&command] {
        if (!admin::member(command.request, "graceful"))
            command.request["graceful"] = true;
    });

    CLI::App *disconnect = requestCommand(app, command, "disconnect", "disconnect",
                                          "Close one client connection, or the one a worker's slot is serving.");
    countOption(*disconnect, command.request, "ID", "connection", "the connection id (ferry-ctl status shows it)");
    countOption(*disconnect, command.request, "--slot", "slot", "the connection the worker in slot N is serving");
    disconnect->get_option("ID")->excludes(disconnect->get_option("--slot"));
    disconnect->callback([&command] {
        if (!admin::member(command.request, "connection") && !admin::member(command.request, "slot"))
            throw CLI::ValidationError("disconnect", "give a connection ID or --slot N");
    });
}

class Lifetime : public CLI::Validator {
public:
    Lifetime()
    {
        func_ = [](std::string &text) -> std::string {
            return parseLifetime(text) ? std::string()
                                       : "'" + text + "' is not a lifetime (a whole number with s, m, h, d or w, "
                                                      "such as 7d or 12h)";
        };
    }
};
const Lifetime LifetimeCheck;

// The checks the server would make, so a bad value is a usage error here (exit 2) with nothing sent.
class Subtree : public CLI::Validator {
public:
    Subtree()
    {
        func_ = [](std::string &text) -> std::string {
            const std::optional<std::string> normal = server::normalizeSubtree(text);
            return normal && normal->size() <= server::MaxTokenScope
                       ? std::string()
                       : "'" + text + "' is not a subtree of the root (no '.' or '..', at most 1024 bytes)";
        };
    }
};
const Subtree SubtreeCheck;

class Label : public CLI::Validator {
public:
    Label()
    {
        func_ = [](std::string &text) -> std::string {
            return text.size() <= server::MaxTokenLabel ? std::string() : "a label is at most 200 bytes";
        };
    }
};
const Label LabelCheck;

void addTokenCommands(CLI::App &app, Command &command)
{
    CLI::App *token = app.add_subcommand("token", "Access tokens: create one and its capability link, list, revoke.");
    token->require_subcommand(1);
    CLI::App *create = requestCommand(*token, command, "create", "token_create",
                                      "Make a token; prints its secret (shown only now) and its ferry:// link.");
    textOption(*create, command.request, "--path", "path",
               "the subtree or the one file it grants (default: the whole tree)")
        ->check(SubtreeCheck)
        ->type_name("SUBTREE");
    create->add_option_function<std::string>(
              "--expires", [&command](const std::string &v) { command.request["expires_s"] = *parseLifetime(v); },
              "it expires after this long, e.g. 7d, 12h (default: never)")
        ->check(LifetimeCheck)
        ->type_name("DUR");
    rateOption(*create, command.request, "--rate", "rate", "bytes/s for all its connections together (10M)");
    countOption(*create, command.request, "--max-connections", "max_connections", "connections at once");
    rateOption(*create, command.request, "--max-bytes", "max_bytes", "bytes it may fetch in all (50G)");
    textOption(*create, command.request, "--label", "label", "who or what it is for, shown in lists and logs")
        ->check(LabelCheck)
        ->type_name("TEXT");
    textOption(*create, command.request, "--host", "host",
               "the host name the link names (default: the server's address or name)")
        ->type_name("HOST");
    create->add_flag("--json", command.json, "print the reply's JSON instead");
    create->callback([&command] { command.shown = Command::Shown::TokenCreated; });

    CLI::App *list = requestCommand(*token, command, "list", "token_list", "Every token: label, scope, expiry, usage.");
    list->add_flag("--json", command.json, "print the tokens as JSON instead");
    list->callback([&command] { command.shown = Command::Shown::TokenList; });

    CLI::App *revoke = requestCommand(*token, command, "revoke", "token_revoke",
                                      "Revoke a token: its transfers are cut and it is refused from now on.");
    revoke->add_option_function<std::string>("ID", [&command](const std::string &v) { command.request["token"] = v; },
                                             "the token's id (ferry-ctl token list shows it)")
        ->required();
    revoke->callback([&command] { command.shown = Command::Shown::TokenRevoked; });
}

// "ferry-ctl pool --help" when the error was inside pool, "ferry-ctl --help" otherwise.
std::string helpHint(const CLI::App &app)
{
    std::string hint = "ferry-ctl";
    for (const CLI::App *level = &app; !level->get_subcommands().empty();) { // "token create" too
        level = level->get_subcommands().back();
        hint += " " + level->get_name();
    }
    return hint + " --help";
}

// CLI11 keeps what it did not recognise (allow_extras) so that the refusal can name the first such word
// plainly; its own message lists them all, backwards.
void refuseLeftovers(const CLI::App &app)
{
    const auto chosen = app.get_subcommands();
    const std::vector<std::string> words = app.remaining(true); // a subcommand's fall through to the app
    if (chosen.empty())
        throw CLI::ValidationError(words.empty() ? "a command is required" : "unknown command '" + words.front() + "'");
    const std::string &name = chosen.front()->get_name();
    for (const std::string &word : words) {
        if (word.size() > 1 && word[0] == '-')
            throw CLI::ValidationError(name, "unknown option '" + word + "'");
    }
    if (!words.empty())
        throw CLI::ValidationError(name, "unexpected argument '" + words.front() + "'");
}

} // namespace

std::variant<Command, int> parseCommandLine(int argc, const char *const *argv)
{
    Command command;
    command.socketPath = admin::defaultAdminSocketPath();
    CLI::App app("Watches and steers a running ferry-server through its admin socket (docs/ADMIN.md).", "ferry-ctl");
    app.add_option("--admin-socket", command.socketPath, "the server's admin socket")->capture_default_str();
    const std::string version =
        "ferry-ctl " FERRY_VERSION " (admin protocol " + std::to_string(admin::ProtocolVersion) + ")";
    app.set_version_flag("--version", version, "print the version and exit");
    app.add_subcommand("version", "Print the version and exit.")->callback([&version] {
        throw CLI::CallForVersion(version, 0);
    });
    // Inherited by the subcommands added below: --admin-socket may also follow the subcommand, and the
    // words nobody knows are kept for refuseLeftovers().
    app.fallthrough();
    app.allow_extras();
    app.require_subcommand(0, 1);
    addObservers(app, command);
    addPoolCommands(app, command);
    addTargetedCommands(app, command);
    addTokenCommands(app, command);
    addAuditCommand(app, command);
    app.footer("Run 'ferry-ctl COMMAND --help' for a command's options.\n"
               "Exit codes: 0 ok, 1 refused by the server, 2 usage, 3 server not running, 4 permission denied,\n"
               "5 protocol or I/O error.");
    try {
        app.parse(argc, argv);
        refuseLeftovers(app);
    } catch (const CLI::ParseError &error) {
        if (error.get_exit_code() == 0) // --help or --version: printed on stdout
            return app.exit(error);
        std::fprintf(stderr, "ferry-ctl: %s\nRun '%s' for usage.\n", error.what(), helpHint(app).c_str());
        return Exit::Usage;
    }
    return command;
}

std::optional<int64_t> parseLifetime(const std::string &text)
{
    if (text.size() < 2 || text.size() > 12 || text.find_first_not_of("0123456789") != text.size() - 1)
        return std::nullopt;
    static const std::map<char, int64_t> Units{{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
    const auto unit = Units.find(text.back());
    const int64_t count = std::stoll(text.substr(0, text.size() - 1));
    if (unit == Units.end() || count == 0 || count > int64_t(100) * 366 * 86400 / unit->second)
        return std::nullopt;
    return count * unit->second;
}

} // namespace ferry::ctl
