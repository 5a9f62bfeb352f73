// ferry-ctl: the command-line client of the admin socket (docs/ADMIN.md §7). No Qt.
#include "ctl/admin_client.h"
#include "adminproto/socket_path.h"
#include "base/duration.h"
#include "ctl/render.h"
#include "tls/identity.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using ferry::admin::Json;
namespace Exit = ferry::ctl::Exit;

namespace {

const char *const Usage =
    "usage: ferry-ctl [--admin-socket PATH] COMMAND [ARGS]\n"
    "  status [--json]                 pool and workers, as a table or as JSON\n"
    "  identity [--cert FILE | --state-dir DIR]  the server's fingerprint, for clients to compare and\n"
    "                                  pin; from the running server, or offline from a certificate\n"
    "  watch [--interval MS] [--count N]  live status, refreshed in the terminal\n"
    "  metrics                         OpenMetrics text\n"
    "  history [--json]                the last 10 minutes, one sample per second\n"
    "  pool [--min-spare N] [--max-spare N] [--max-workers N] [--max-requests N]\n"
    "  drain | resume | reload\n"
    "  kill-worker SLOT [--now]        graceful unless --now\n"
    "  rate-limit [--per-connection B] [--global B]   bytes/s (k, M, G suffixes), 0 = unlimited\n"
    "  disconnect ID | disconnect --slot N\n"
    "exit codes: 0 ok, 1 refused by the server, 2 usage, 3 server not running, 4 permission denied,\n"
    "            5 protocol or I/O error\n";

struct Args {
    std::string command;
    std::vector<std::string> positional;
    std::map<std::string, std::string> options; // "--name" -> value ("" for flags)
};

bool isFlag(const std::string &name)
{
    return name == "--json" || name == "--now" || name == "--help" || name == "--version";
}

bool parseArgs(int argc, char **argv, Args &args, std::string &socketPath)
{
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--", 0) == 0) {
            std::string value;
            if (const size_t eq = a.find('='); eq != std::string::npos) {
                value = a.substr(eq + 1);
                a.resize(eq);
            } else if (!isFlag(a)) {
                if (i + 1 >= argc)
                    return false;
                value = argv[++i];
            }
            if (a == "--admin-socket")
                socketPath = value;
            else
                args.options[a] = value;
        } else if (args.command.empty()) {
            args.command = a;
        } else {
            args.positional.push_back(a);
        }
    }
    return true;
}

// "1048576", "512k", "2M", "1G" (powers of 1024): the server's own spelling. False on anything else.
bool parseBytes(const std::string &text, int64_t &out)
{
    auto value = ferry::server::parseByteCount(text);
    if (!value || *value > uint64_t(INT64_MAX))
        return false;
    out = int64_t(*value);
    return true;
}

int printReply(const Json &reply)
{
    const Json *ok = reply.find("ok");
    if (ok && ok->toBool()) {
        std::printf("%s\n", reply.dump().c_str());
        return Exit::Ok;
    }
    const Json *error = reply.find("error");
    const Json *code = error ? error->find("code") : nullptr;
    const Json *message = error ? error->find("message") : nullptr;
    std::fprintf(stderr, "ferry-ctl: refused: %s: %s\n", code ? code->toString().c_str() : "?",
                 message ? message->toString().c_str() : "");
    return code && code->toString() == "permission_denied" ? Exit::Denied : Exit::Refused;
}

// Copies option `option` (bytes or a count) into request[key] if given; false if it does not parse.
bool copyNumber(const Args &args, const char *option, const char *key, Json &request)
{
    auto it = args.options.find(option);
    if (it == args.options.end())
        return true;
    int64_t value = 0;
    if (!parseBytes(it->second, value))
        return false;
    request.set(key, value);
    return true;
}

bool buildTargetedRequest(const Args &args, Json &request)
{
    int64_t number = 0;
    if (args.command == "kill-worker") {
        request.set("cmd", "kill_worker");
        if (args.positional.size() != 1 || !parseBytes(args.positional[0], number))
            return false;
        request.set("slot", number).set("graceful", args.options.count("--now") == 0);
        return true;
    }
    request.set("cmd", "disconnect");
    if (args.options.count("--slot"))
        return args.positional.empty() && copyNumber(args, "--slot", "slot", request);
    if (args.positional.size() != 1 || !parseBytes(args.positional[0], number))
        return false;
    request.set("connection", number);
    return true;
}

// Builds the request of a command from its arguments; false on a usage error.
bool buildRequest(const Args &args, Json &request)
{
    const std::string &c = args.command;
    request = Json::object();
    if (c == "drain" || c == "resume" || c == "reload") {
        request.set("cmd", c);
        return args.positional.empty();
    }
    if (c == "pool") {
        request.set("cmd", "pool");
        return copyNumber(args, "--min-spare", "min_spare", request)
            && copyNumber(args, "--max-spare", "max_spare", request)
            && copyNumber(args, "--max-workers", "max_workers", request)
            && copyNumber(args, "--max-requests", "max_requests", request);
    }
    if (c == "rate-limit") {
        request.set("cmd", "rate_limit");
        return copyNumber(args, "--per-connection", "per_connection", request)
            && copyNumber(args, "--global", "global", request);
    }
    if (c == "kill-worker" || c == "disconnect")
        return buildTargetedRequest(args, request);
    return false;
}

int watch(ferry::ctl::AdminClient &client, const Args &args)
{
    int64_t interval = 1000, count = -1;
    if (args.options.count("--interval") && !parseBytes(args.options.at("--interval"), interval))
        return Exit::Usage;
    if (args.options.count("--count") && !parseBytes(args.options.at("--count"), count))
        return Exit::Usage;
    std::string error;
    auto reply = client.call(Json::object().set("cmd", "subscribe").set("interval_ms", interval), error);
    if (!reply) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return Exit::Protocol;
    }
    if (const Json *ok = reply->find("ok"); !ok || !ok->toBool())
        return printReply(*reply);
    // The server clamps the interval (100 ms to 60 s) and says which it chose: wait on that one.
    const Json *granted = reply->find("interval_ms");
    const int timeoutMs = int(std::clamp<int64_t>(granted ? granted->toInt() : 1000, 0, 60000)) * 3 + 5000;
    for (int64_t shown = 0; count < 0 || shown < count; ++shown) {
        auto push = client.nextEvent(error, timeoutMs);
        if (!push) {
            std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
            return Exit::Protocol;
        }
        const Json *status = push->find("status");
        std::printf("\x1b[H\x1b[2J%s", status ? ferry::ctl::renderStatus(*status).c_str() : "");
        std::fflush(stdout);
    }
    return Exit::Ok;
}

int printIdentity(const Json &status)
{
    const Json *server = status.find("server");
    const Json *identity = server ? server->find("identity") : nullptr;
    if (!identity || identity->toString().empty()) {
        std::fprintf(stderr, "ferry-ctl: the server has no identity: it runs with --plaintext only\n");
        return Exit::Refused;
    }
    std::printf("%s\n", identity->toString().c_str());
    return Exit::Ok;
}

// `identity --cert FILE` / `--state-dir DIR`: read from the certificate, no server needed (while it is
// down, or on another account). The key itself is only ever made by the server, at its first start.
int printOfflineIdentity(const Args &args)
{
    auto cert = args.options.find("--cert");
    std::string file = cert != args.options.end()
                           ? cert->second
                           : ferry::server::tls::certPathIn(args.options.find("--state-dir")->second);
    std::string error;
    std::string fingerprint = ferry::server::tls::fingerprintOfCertificateFile(file, error);
    if (fingerprint.empty()) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return Exit::Usage;
    }
    std::printf("%s\n", fingerprint.c_str());
    return Exit::Ok;
}

int observe(ferry::ctl::AdminClient &client, const Args &args)
{
    const bool history = args.command == "history";
    std::string error;
    auto reply = client.call(Json::object().set("cmd", history ? "history" : "status"), error); // identity: status
    if (!reply) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return Exit::Protocol;
    }
    const Json *ok = reply->find("ok");
    const Json *body = reply->find(history ? "samples" : "status");
    if (!ok || !ok->toBool() || !body)
        return printReply(*reply);
    std::string text;
    if (args.command == "identity")
        return printIdentity(*body);
    if (args.options.count("--json"))
        text = body->dump() + "\n";
    else if (history)
        text = ferry::ctl::renderHistory(*body);
    else if (args.command == "metrics")
        text = ferry::ctl::renderMetrics(*body);
    else
        text = ferry::ctl::renderStatus(*body);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Exit::Ok;
}

} // namespace

int main(int argc, char **argv)
{
    Args args;
    std::string socketPath = ferry::admin::defaultAdminSocketPath();
    const bool parsed = parseArgs(argc, argv, args, socketPath);
    if (parsed && (args.options.count("--version") || args.command == "version")) {
        std::printf("ferry-ctl %s (admin protocol %d)\n", FERRY_VERSION, ferry::admin::ProtocolVersion);
        return Exit::Ok;
    }
    if (!parsed || args.command.empty() || args.options.count("--help")) {
        std::fputs(Usage, args.options.count("--help") ? stdout : stderr);
        return args.options.count("--help") ? Exit::Ok : Exit::Usage;
    }
    if (args.command == "identity" && (args.options.count("--cert") || args.options.count("--state-dir")))
        return printOfflineIdentity(args);
    const bool observing = args.command == "status" || args.command == "metrics" || args.command == "history"
                           || args.command == "identity";
    Json request;
    if (!observing && args.command != "watch" && !buildRequest(args, request)) {
        std::fprintf(stderr, "ferry-ctl: bad arguments for '%s'\n%s", args.command.c_str(), Usage);
        return Exit::Usage;
    }
    ferry::ctl::AdminClient client;
    std::string error;
    if (int rc = client.connect(socketPath, error); rc != Exit::Ok) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return rc;
    }
    if (observing)
        return observe(client, args);
    if (args.command == "watch")
        return watch(client, args);
    auto reply = client.call(std::move(request), error);
    if (!reply) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return Exit::Protocol;
    }
    return printReply(*reply);
}
