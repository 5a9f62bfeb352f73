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

    static CommandResult success(Json fields = Json::object()) { return {true, ErrorCode::Failed, {}, std::move(fields)}; }
    static CommandResult failure(ErrorCode code, std::string message)
    {
        return {false, code, std::move(message), Json::object()};
    }
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
    virtual CommandResult setRateLimit(std::optional<uint64_t> perConnection, std::optional<uint64_t> global) = 0;
    // Exactly one of the two is set.
    virtual CommandResult disconnect(std::optional<uint64_t> connection, std::optional<uint32_t> slot) = 0;
};

} // namespace ferry::admin
