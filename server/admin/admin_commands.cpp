// The admin requests of docs/ADMIN.md §4 and §5: argument checks, the backend call, the reply, the audit line.
#include "admin/admin_server.h"

#include "base/log.h"

#include <algorithm>
#include <limits>

namespace ferry::admin {

namespace {

constexpr int64_t MaxCount = 1'000'000;
constexpr int64_t MaxBytes = std::numeric_limits<int64_t>::max();

bool isObservation(const std::string &cmd)
{
    return cmd == "status" || cmd == "subscribe" || cmd == "unsubscribe" || cmd == "history" || cmd == "token_list"
           || cmd == "audit_subscribe" || cmd == "audit_unsubscribe";
}

// Reads an optional integer argument into `out`; on a bad value fills `error` and returns false.
bool optionalInt(const Json &body, std::string_view key, int64_t min, int64_t max, std::optional<int64_t> &out,
                 std::string &error)
{
    int64_t value = 0;
    switch (intArg(body, key, min, max, value, error)) {
    case ArgStatus::Absent:
        return true;
    case ArgStatus::Ok:
        out = value;
        return true;
    case ArgStatus::Invalid:
        return false;
    }
    return false;
}

CommandResult badArgument(std::string message)
{
    return CommandResult::failure(ErrorCode::BadArgument, std::move(message));
}

CommandResult poolCommand(AdminBackend &backend, const Json &body)
{
    PoolLimitsChange change;
    std::string error;
    if (!optionalInt(body, "min_spare", 0, MaxCount, change.minSpare, error)
        || !optionalInt(body, "max_spare", 0, MaxCount, change.maxSpare, error)
        || !optionalInt(body, "max_workers", 1, MaxCount, change.maxWorkers, error)
        || !optionalInt(body, "max_requests", 0, MaxBytes, change.maxRequests, error))
        return badArgument(error);
    return backend.setPoolLimits(change);
}

CommandResult killWorkerCommand(AdminBackend &backend, const Json &body)
{
    std::optional<int64_t> slot;
    std::string error;
    bool graceful = true;
    if (!optionalInt(body, "slot", 0, MaxCount, slot, error))
        return badArgument(error);
    if (!slot)
        return badArgument("\"slot\" is required");
    if (boolArg(body, "graceful", graceful, error) == ArgStatus::Invalid)
        return badArgument(error);
    return backend.killWorker(uint32_t(*slot), graceful);
}

CommandResult rateLimitCommand(AdminBackend &backend, const Json &body)
{
    std::optional<int64_t> perConnection, global, perIp;
    std::string error;
    if (!optionalInt(body, "per_connection", 0, MaxBytes, perConnection, error)
        || !optionalInt(body, "global", 0, MaxBytes, global, error)
        || !optionalInt(body, "per_ip", 0, MaxBytes, perIp, error))
        return badArgument(error);
    if (!perConnection && !global && !perIp)
        return badArgument("give \"per_connection\", \"global\" and/or \"per_ip\" (bytes/s, 0 = unlimited)");
    auto toUnsigned = [](std::optional<int64_t> v) {
        return v ? std::optional<uint64_t>(uint64_t(*v)) : std::nullopt;
    };
    return backend.setRateLimit(toUnsigned(perConnection), toUnsigned(global), toUnsigned(perIp));
}

CommandResult disconnectCommand(AdminBackend &backend, const Json &body)
{
    std::optional<int64_t> connection, slot;
    std::string error;
    if (!optionalInt(body, "connection", 1, MaxBytes, connection, error)
        || !optionalInt(body, "slot", 0, MaxCount, slot, error))
        return badArgument(error);
    if (connection.has_value() == slot.has_value())
        return badArgument("give exactly one of \"connection\" and \"slot\"");
    return backend.disconnect(connection ? std::optional<uint64_t>(uint64_t(*connection)) : std::nullopt,
                              slot ? std::optional<uint32_t>(uint32_t(*slot)) : std::nullopt);
}

// Reads an optional string argument; on a wrong type fills `error` and returns false.
bool optionalString(const Json &body, std::string_view key, size_t maxSize, std::string &out, std::string &error)
{
    const Json *value = member(body, key);
    if (!value || value->is_null())
        return true;
    if (!value->is_string() || value->get_ref<const std::string &>().size() > maxSize) {
        error = "\"" + std::string(key) + "\" must be a string of at most " + std::to_string(maxSize) + " bytes";
        return false;
    }
    out = value->get<std::string>();
    return true;
}

CommandResult tokenCreateCommand(AdminBackend &backend, const Json &body)
{
    TokenCreateArgs args;
    std::optional<int64_t> expires, rate, connections, bytes;
    std::string error;
    if (!optionalString(body, "path", 4096, args.path, error) || !optionalString(body, "label", 4096, args.label, error)
        || !optionalString(body, "host", 255, args.host, error)
        || !optionalInt(body, "expires_s", 0, int64_t(100) * 366 * 86400, expires, error)
        || !optionalInt(body, "rate", 0, MaxBytes, rate, error)
        || !optionalInt(body, "max_connections", 0, MaxCount, connections, error)
        || !optionalInt(body, "max_bytes", 0, MaxBytes, bytes, error))
        return badArgument(error);
    args.expiresInS = expires.value_or(0);
    args.rate = uint64_t(rate.value_or(0));
    args.maxConnections = uint32_t(connections.value_or(0));
    args.maxBytes = uint64_t(bytes.value_or(0));
    return backend.tokenCreate(args);
}

// The shape of a token id ("tk-" and 10 hex digits, access/token_secret.h's makeTokenId()).
bool isTokenId(std::string_view text)
{
    if (text.size() != 13 || !text.starts_with("tk-"))
        return false;
    return std::all_of(text.begin() + 3, text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// What the log line shows of an argument. token_revoke's "token" names an id, yet a person may paste the
// secret there (or the capability link that holds it): a value not shaped like an id is left out, so no
// secret reaches the log (docs/SECURITY.md, "Where tokens live").
Json loggedArgument(const std::string &cmd, const std::string &key, const Json &value)
{
    const bool anId = value.is_string() && isTokenId(value.get_ref<const std::string &>());
    if (cmd == "token_revoke" && key == "token" && !anId)
        return "(not a token id: not shown)";
    return value;
}

CommandResult tokenRevokeCommand(AdminBackend &backend, const Json &body)
{
    std::string id, error;
    if (!optionalString(body, "token", 64, id, error))
        return badArgument(error);
    if (id.empty())
        return badArgument("\"token\" is required (a token id from token_list)");
    return backend.tokenRevoke(id);
}

// A command's name as its log line shows it. The names the protocol knows are plain words; anything
// else is written as a JSON string, escapes and all, so that a line break in it cannot start a line the
// client wrote itself (one that would name another uid: the log is the record of who did what).
std::string loggedCommand(const std::string &cmd)
{
    const bool plain = !cmd.empty() && std::all_of(cmd.begin(), cmd.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    return plain ? cmd : dumpJson(Json(cmd));
}

} // namespace

Json AdminServer::runCommand(const Request &request, CommandResult &result)
{
    const std::string &cmd = request.cmd;
    if (cmd == "pool")
        result = poolCommand(m_backend, request.body);
    else if (cmd == "drain")
        result = m_backend.drain();
    else if (cmd == "resume")
        result = m_backend.resume();
    else if (cmd == "reload")
        result = m_backend.reload();
    else if (cmd == "kill_worker")
        result = killWorkerCommand(m_backend, request.body);
    else if (cmd == "rate_limit")
        result = rateLimitCommand(m_backend, request.body);
    else if (cmd == "disconnect")
        result = disconnectCommand(m_backend, request.body);
    else if (cmd == "token_create")
        result = tokenCreateCommand(m_backend, request.body);
    else if (cmd == "token_list")
        result = m_backend.tokenList();
    else if (cmd == "token_revoke")
        result = tokenRevokeCommand(m_backend, request.body);
    else
        result = CommandResult::failure(ErrorCode::UnknownCommand, "unknown command '" + cmd + "'");
    if (!result.ok)
        return errorReply(request, result.code, result.message);
    Json reply = okReply(request);
    for (const auto &[key, value] : result.fields.items())
        reply[key] = value;
    return reply;
}

Json AdminServer::dispatch(Client &client, const Request &request)
{
    const std::string &cmd = request.cmd;
    if (cmd == "status") {
        Json reply = okReply(request);
        reply["status"] = sharedStatus();
        return reply;
    }
    if (cmd == "history") {
        Json reply = okReply(request);
        reply["interval_ms"] = 1000;
        reply["samples"] = m_history.toJson();
        return reply;
    }
    if (cmd == "subscribe" || cmd == "unsubscribe") {
        int64_t interval = 1000;
        std::string error;
        if (cmd == "subscribe"
            && intArg(request.body, "interval_ms", 1, std::numeric_limits<int32_t>::max(), interval, error)
                == ArgStatus::Invalid)
            return errorReply(request, ErrorCode::BadArgument, error);
        m_loop.cancelTimer(client.pushTimer);
        client.pushTimer = 0;
        Json reply = okReply(request);
        if (cmd == "subscribe") {
            client.intervalMs = int(std::clamp<int64_t>(interval, MinSubscribeIntervalMs, MaxSubscribeIntervalMs));
            client.seq = 0;
            client.pushNow = true; // the first push follows the reply at once
            reply["interval_ms"] = client.intervalMs;
        } else {
            client.intervalMs = 0;
        }
        return reply;
    }
    if (cmd == "audit_subscribe" || cmd == "audit_unsubscribe")
        return auditCommand(client, request);
    CommandResult result;
    Json reply = runCommand(request, result);
    m_sharedStatusTime.reset(); // the command may have changed what status shows
    audit(client, request, reply);
    return reply;
}

void AdminServer::audit(const Client &client, const Request &request, const Json &reply)
{
    Json args = Json::object();
    for (const auto &[key, value] : request.body.items()) {
        if (key != "v" && key != "id" && key != "cmd")
            args[key] = loggedArgument(request.cmd, key, value);
    }
    const Json *ok = member(reply, "ok");
    std::string result = "ok";
    if (!ok || *ok != true) {
        const Json *error = member(reply, "error");
        const Json *code = error ? member(*error, "code") : nullptr;
        result = "error:" + (code && code->is_string() ? code->get<std::string>() : std::string("?"));
    }
    const std::string argText = args.empty() ? std::string() : " args=" + dumpJson(args);
    const std::string cmd = loggedCommand(request.cmd);
    if (isObservation(request.cmd))
        LOG_DEBUG("admin: uid=%u pid=%d cmd=%s%s result=%s", unsigned(client.uid), int(client.pid),
                  cmd.c_str(), argText.c_str(), result.c_str());
    else
        LOG_INFO("admin: uid=%u pid=%d cmd=%s%s result=%s", unsigned(client.uid), int(client.pid),
                 cmd.c_str(), argText.c_str(), result.c_str());
}

} // namespace ferry::admin
