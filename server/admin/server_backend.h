// The admin plane's view of the running server: turns the Parent's seams (scoreboard, supervisor,
// dispatcher) into status snapshots and carries out admin commands.
#pragma once

#include "admin/backend.h"
#include "parent/parent.h"
#include "pool/pool_manager.h"

#include <deque>
#include <utility>

namespace ferry::admin {

// A token as token_list shows it, and the capability link of a new one (server_tokens.cpp): a folder's
// path ends in '/', a file's (`namesFile`, a token for one file) does not.
Json tokenJson(const server::TokenListing &item, int64_t nowWallNs);
std::string capabilityLink(const std::string &authority, const std::string &scope, bool namesFile,
                           const std::string &fingerprint, const std::string &secret);

class ServerBackend : public AdminBackend {
public:
    ServerBackend(server::Parent &parent, pool::PoolManager &pool) : m_parent(parent), m_pool(pool) {}

    StatusSnapshot status(bool withProcInfo) override;
    CommandResult setPoolLimits(const PoolLimitsChange &change) override;
    CommandResult drain() override;
    CommandResult resume() override;
    CommandResult reload() override;
    CommandResult killWorker(uint32_t slot, bool graceful) override;
    CommandResult setRateLimit(std::optional<uint64_t> perConnection, std::optional<uint64_t> global,
                               std::optional<uint64_t> perIp) override;
    CommandResult disconnect(std::optional<uint64_t> connection, std::optional<uint32_t> slot) override;
    CommandResult tokenCreate(const TokenCreateArgs &args) override; // server_tokens.cpp
    CommandResult tokenList() override;
    CommandResult tokenRevoke(const std::string &id) override;

private:
    void fillPool(StatusSnapshot &status);
    WorkerInfo workerInfo(uint32_t slot, const server::SlotSnapshot &s, int64_t nowMs, int64_t nowNs,
                          bool withProcInfo) const;
    std::string lastExitText(uint32_t slot, const server::SlotSnapshot &s) const;
    int64_t recentCrashes(int64_t nowNs, uint64_t crashedTotal);

    server::Parent &m_parent;
    pool::PoolManager &m_pool;
    std::deque<std::pair<int64_t, uint64_t>> m_crashSamples; // (monotonic ns, crashed total), last 60 s
};

} // namespace ferry::admin
