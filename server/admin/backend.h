// What the admin plane needs from the server: a status snapshot and the commands of docs/ADMIN.md §5.
// The server's supervisor implements it; the admin plane parses, validates types, logs and replies.
#pragma once

#include "adminproto/json.h"
#include "adminproto/protocol.h"
#include "adminproto/status.h"

#include <cstdint>
#include <optional>
#include <string>

namespace ferry::admin {

struct CommandResult {
    bool ok = true;
    ErrorCode code = ErrorCode::Failed;
    std::string message;
    Json fields = Json::object(); // merged into a successful reply

    static CommandResult success(Json fields = Json::object())
    {
        return {true, ErrorCode::Failed, {}, std::move(fields)};
    }
    static CommandResult failure(ErrorCode code, std::string message)
    {
        return {false, code, std::move(message), Json::object()};
    }
};

// token_create's arguments (docs/ADMIN.md §5.7), checked for type and range by the admin plane.
struct TokenCreateArgs {
    std::string path;   // the subtree, as given ("" = the whole tree)
    std::string label;
    int64_t expiresInS = 0; // 0 = never
    uint64_t rate = 0;
    uint32_t maxConnections = 0;
    uint64_t maxBytes = 0;
    std::string host;   // the capability link's host; "" = the server's own idea of its name
};

struct PoolLimitsChange {
    std::optional<int64_t> minSpare;
    std::optional<int64_t> maxSpare;
    std::optional<int64_t> maxWorkers;
    std::optional<int64_t> maxRequests;
};

class AdminBackend {
public:
    virtual ~AdminBackend() = default;

    // A snapshot of the server. `withProcInfo`: also read /proc for every worker (open fds, RSS, CPU);
    // the once-a-second history sampler passes false. throughput_bps is filled in by the admin plane.
    virtual StatusSnapshot status(bool withProcInfo) = 0;

    virtual CommandResult setPoolLimits(const PoolLimitsChange &change) = 0;
    virtual CommandResult drain() = 0;
    virtual CommandResult resume() = 0;
    virtual CommandResult reload() = 0;
    virtual CommandResult killWorker(uint32_t slot, bool graceful) = 0;
    // Bytes per second, 0 = unlimited; nullopt = keep.
    virtual CommandResult setRateLimit(std::optional<uint64_t> perConnection, std::optional<uint64_t> global,
                                       std::optional<uint64_t> perIp) = 0;
    // Exactly one of the two is set.
    virtual CommandResult disconnect(std::optional<uint64_t> connection, std::optional<uint32_t> slot) = 0;
    // Access tokens (docs/ADMIN.md §5.7–5.9). A backend without a token store refuses them.
    virtual CommandResult tokenCreate(const TokenCreateArgs &) { return noTokens(); }
    virtual CommandResult tokenList() { return noTokens(); }
    virtual CommandResult tokenRevoke(const std::string &) { return noTokens(); }

private:
    static CommandResult noTokens()
    {
        return CommandResult::failure(ErrorCode::Conflict, "this server keeps no tokens");
    }
};

} // namespace ferry::admin
