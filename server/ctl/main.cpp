// ferry-ctl: the command-line client of the admin socket (docs/ADMIN.md §7). No Qt.
#include "ctl/admin_client.h"
#include "ctl/audit_command.h"
#include "ctl/command_line.h"
#include "ctl/render.h"
#include "ctl/terminal_json.h"
#include "ctl/terminal_text.h"
#include "ctl/token_render.h"
#include "metrics/exposition.h"
#include "tls/identity.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <variant>

using ferry::admin::Json;
using ferry::ctl::Command;
namespace Exit = ferry::ctl::Exit;

namespace {

bool isOk(const Json &reply)
{
    const Json *ok = ferry::admin::member(reply, "ok");
    return ok && *ok == true;
}

int printReply(const Json &reply)
{
    if (isOk(reply)) {
        std::printf("%s\n", ferry::ctl::terminalJson(reply).c_str());
        return Exit::Ok;
    }
    const Json *error = ferry::admin::member(reply, "error");
    // The message may quote what a request carried (a token's path, a name): terminal-safe like the tables.
    const std::string code = error ? ferry::ctl::shownMember(*error, "code") : std::string();
    const std::string message = error ? ferry::ctl::shownMember(*error, "message") : std::string();
    std::fprintf(stderr, "ferry-ctl: refused: %s: %s\n", code.empty() ? "?" : code.c_str(), message.c_str());
    return code == "permission_denied" ? Exit::Denied : Exit::Refused;
}

int watch(ferry::ctl::AdminClient &client, const Command &command)
{
    std::string error;
    auto reply = client.call(Json{{"cmd", "subscribe"}, {"interval_ms", command.intervalMs}}, error);
    if (!reply) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return Exit::Protocol;
    }
    if (!isOk(*reply))
        return printReply(*reply);
    // The server clamps the interval (100 ms to 60 s) and says which it chose: wait on that one.
    const Json *granted = ferry::admin::member(*reply, "interval_ms");
    const int64_t grantedMs = granted ? ferry::admin::intMember(*reply, "interval_ms") : 1000;
    const int timeoutMs = int(std::clamp<int64_t>(grantedMs, 0, 60000)) * 3 + 5000;
    for (int64_t shown = 0; command.count < 0 || shown < command.count; ++shown) {
        auto push = client.nextEvent(error, timeoutMs);
        if (!push) {
            std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
            return Exit::Protocol;
        }
        const Json *status = ferry::admin::member(*push, "status");
        std::printf("\x1b[H\x1b[2J%s", status ? ferry::ctl::renderStatus(*status).c_str() : "");
        std::fflush(stdout);
    }
    return Exit::Ok;
}

int printIdentity(const Json &status)
{
    const Json *server = ferry::admin::member(status, "server");
    const std::string identity = server ? ferry::ctl::shownMember(*server, "identity") : std::string();
    if (identity.empty()) {
        std::fprintf(stderr, "ferry-ctl: the server has no identity: it runs with --plaintext only\n");
        return Exit::Refused;
    }
    std::printf("%s\n", identity.c_str());
    return Exit::Ok;
}

// `identity --cert FILE` / `--state-dir DIR`: read from the certificate, no server needed (while it is
// down, or on another account). The key itself is only ever made by the server, at its first start.
int printOfflineIdentity(const Command &command)
{
    const std::string file = !command.identityCert.empty() ? command.identityCert
                                                           : ferry::server::tls::certPathIn(command.identityStateDir);
    std::string error;
    const std::string fingerprint = ferry::server::tls::fingerprintOfCertificateFile(file, error);
    if (fingerprint.empty()) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return Exit::Usage;
    }
    std::printf("%s\n", fingerprint.c_str());
    return Exit::Ok;
}

int observe(ferry::ctl::AdminClient &client, const Command &command)
{
    const bool history = command.kind == Command::Kind::History;
    std::string error;
    auto reply = client.call(Json{{"cmd", history ? "history" : "status"}}, error); // identity: status
    if (!reply) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return Exit::Protocol;
    }
    const Json *body = ferry::admin::member(*reply, history ? "samples" : "status");
    if (!isOk(*reply) || !body)
        return printReply(*reply);
    std::string text;
    if (command.kind == Command::Kind::Identity)
        return printIdentity(*body);
    if (command.json)
        text = ferry::ctl::terminalJson(*body) + "\n";
    else if (history)
        text = ferry::ctl::renderHistory(*body);
    else if (command.kind == Command::Kind::Metrics)
        text = ferry::metrics::renderMetrics(*body, command.metricsFormat);
    else
        text = ferry::ctl::renderStatus(*body);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Exit::Ok;
}

// A successful token command's reply as text (docs/ADMIN.md §7); anything else as printReply() does.
int printShown(const Json &reply, const Command &command)
{
    if (!isOk(reply) || command.json || command.shown == Command::Shown::Raw) {
        if (isOk(reply) && command.json && command.shown == Command::Shown::TokenList) {
            const Json *tokens = ferry::admin::member(reply, "tokens");
            std::printf("%s\n", ferry::ctl::terminalJson(tokens ? *tokens : Json::array()).c_str());
            return Exit::Ok;
        }
        return printReply(reply);
    }
    std::string text;
    switch (command.shown) {
    case Command::Shown::TokenCreated: text = ferry::ctl::renderTokenCreated(reply); break;
    case Command::Shown::TokenList: {
        const Json *tokens = ferry::admin::member(reply, "tokens");
        text = ferry::ctl::renderTokenList(tokens ? *tokens : Json::array(), int64_t(std::time(nullptr)) * 1000);
        break;
    }
    case Command::Shown::TokenRevoked: text = ferry::ctl::renderTokenRevoked(reply); break;
    case Command::Shown::Raw: break;
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Exit::Ok;
}

} // namespace

int main(int argc, char **argv)
{
    auto parsed = ferry::ctl::parseCommandLine(argc, argv);
    if (const int *exitCode = std::get_if<int>(&parsed))
        return *exitCode;
    Command &command = std::get<Command>(parsed);
    if (command.kind == Command::Kind::Identity
        && (!command.identityCert.empty() || !command.identityStateDir.empty()))
        return printOfflineIdentity(command);
    if (command.kind == Command::Kind::Audit) // reads the file: the server need not be running
        return ferry::ctl::runAudit(command.audit);
    ferry::ctl::AdminClient client;
    std::string error;
    if (int rc = client.connect(command.socketPath, error); rc != Exit::Ok) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return rc;
    }
    switch (command.kind) {
    case Command::Kind::Status:
    case Command::Kind::Identity:
    case Command::Kind::Metrics:
    case Command::Kind::History:
        return observe(client, command);
    case Command::Kind::Watch:
        return watch(client, command);
    case Command::Kind::Request:
    case Command::Kind::Audit: // answered above
        break;
    }
    auto reply = client.call(std::move(command.request), error);
    if (!reply) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return Exit::Protocol;
    }
    return printShown(*reply, command);
}
