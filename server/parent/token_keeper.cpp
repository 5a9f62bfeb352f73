#include "parent/token_keeper.h"

#include "base/clock.h"
#include "base/config_error.h"
#include "base/log.h"
#include "tls/state_dir.h"

#include <cstring>

namespace ferry::server {

namespace {

TokenStore loadStore(const std::string &path)
{
    std::string error;
    std::optional<TokenStore> store = TokenStore::load(path, error);
    if (!store)
        throw ConfigError(error);
    return std::move(*store);
}


} // namespace

TokenKeeper::TokenKeeper(std::string stateDir)
    : m_stateDir(std::move(stateDir)), m_store(loadStore(m_stateDir + "/tokens.json")), m_table(uint32_t(MaxTokens))
{
    for (uint32_t i = 0; i < m_store.tokens().size() && i < MaxTokens; ++i)
        publish(i);
    if (hasTokens())
        LOG_INFO("%zu access token(s) loaded from %s", m_store.tokens().size(), m_store.path().c_str());
}

void TokenKeeper::publish(uint32_t index)
{
    const Token &token = m_store.tokens()[index];
    TokenFields fields{token.hash, token.id, token.label, token.scope, token.expiresAtNs, token.rate,
                       token.maxConnections, token.maxBytes};
    m_table.publish(index, fields, token.isRevoked(), token.usage.bytes, token.usage.requests, token.usage.lastUsedNs);
}

std::optional<CreatedToken> TokenKeeper::create(const TokenRequest &request, std::string &error, bool &badRequest)
{
    badRequest = false;
    try {
        tls::prepareStateDir(m_stateDir, uid_t(-1), gid_t(-1));
    } catch (const ConfigError &problem) {
        error = problem.what();
        return std::nullopt;
    }
    TokenStore before = m_store;
    std::optional<CreatedToken> created = m_store.create(request, wallClockNs(), error);
    if (!created) {
        badRequest = m_store.tokens().size() < MaxTokens;
        return std::nullopt;
    }
    refreshUsage(); // the counts so far go into the same write
    if (int failed = m_store.save(); failed != 0) {
        m_store = std::move(before);
        error = "cannot write the token store " + m_store.path() + ": " + std::strerror(failed);
        return std::nullopt;
    }
    publish(uint32_t(m_store.tokens().size() - 1));
    return created;
}

TokenKeeper::RevokeResult TokenKeeper::revoke(const std::string &id, std::string &error)
{
    const Token *token = m_store.find(id);
    if (!token) {
        error = "there is no token with id '" + id + "' (see ferry-ctl token list)";
        return RevokeResult::NoSuchToken;
    }
    const auto index = uint32_t(token - m_store.tokens().data());
    m_table.revoke(index); // first: whatever happens to the file, workers stop serving it now
    (void)m_store.revoke(id, wallClockNs());
    refreshUsage();
    if (int failed = m_store.save(); failed != 0) {
        error = "the token is revoked until the server stops, but the store " + m_store.path()
                + " could not be written: " + std::strerror(failed);
        return RevokeResult::Failed;
    }
    return RevokeResult::Revoked;
}

TokenUsage TokenKeeper::usageOf(uint32_t index) const
{
    const TokenSlot &slot = m_table.slot(index);
    TokenUsage usage;
    usage.bytes = slot.bytesUsed.load(std::memory_order_relaxed);
    usage.requests = slot.requests.load(std::memory_order_relaxed);
    usage.lastUsedNs = slot.lastUsedNs.load(std::memory_order_relaxed);
    usage.lastPeer = m_table.lastPeer(index);
    if (usage.lastPeer.empty()) // being written this instant: the stored one is as good
        usage.lastPeer = m_store.tokens()[index].usage.lastPeer;
    return usage;
}

std::vector<TokenListing> TokenKeeper::list() const
{
    std::vector<TokenListing> listing;
    for (uint32_t i = 0; i < m_store.tokens().size(); ++i) {
        TokenListing item{m_store.tokens()[i], m_table.slot(i).connections.load(std::memory_order_relaxed)};
        item.token.usage = usageOf(i);
        listing.push_back(std::move(item));
    }
    return listing;
}

bool TokenKeeper::refreshUsage()
{
    bool changed = false;
    for (uint32_t i = 0; i < m_store.tokens().size(); ++i) {
        TokenUsage usage = usageOf(i);
        if (m_store.token(i).usage != usage) {
            m_store.token(i).usage = std::move(usage);
            changed = true;
        }
    }
    return changed;
}

void TokenKeeper::saveUsage()
{
    if (!refreshUsage())
        return;
    if (int failed = m_store.save(); failed != 0)
        LOG_WARN("cannot write token usage to %s: %s", m_store.path().c_str(), std::strerror(failed));
}

} // namespace ferry::server
