// The parent's side of tokens: the token store (access/token_store.h) and its picture in shared memory
// (ipc/token_table.h) kept in step. The admin socket's token commands come here; the store is written at
// once on every create and revoke, and the usage workers count in shared memory is written into it every
// few seconds (when it changed) and at shutdown. Slot i of the table holds token i of the store: tokens
// are only ever appended (a revoked one stays, marked), so the two never disagree about an index.
#pragma once

#include "access/token_store.h"
#include "ipc/token_table.h"

#include <optional>
#include <string>
#include <vector>

namespace ferry::server {

// A token with its live usage, for `token list`.
struct TokenListing {
    Token token; // usage: the workers' counts as of now
    uint32_t connections = 0; // open connections holding it
};

class TokenKeeper {
public:
    // Loads `<stateDir>/tokens.json` (absent: no tokens) and publishes it. Throws ConfigError (exit 2)
    // if the file exists but is damaged, and std::system_error if the table cannot be mapped.
    explicit TokenKeeper(std::string stateDir);

    TokenTable &table() { return m_table; }
    bool hasTokens() const { return !m_store.tokens().empty(); }

    // A new token, written to the store (the state directory is made if missing) and visible to every
    // worker when this returns. Nothing, with `error` one sentence, if the request is bad (`badRequest`
    // true) or the store cannot be written (false); then nothing changed.
    std::optional<CreatedToken> create(const TokenRequest &request, std::string &error, bool &badRequest);
    enum class RevokeResult { Revoked, NoSuchToken, Failed };
    // Marks the token revoked in the store and in shared memory (workers stop serving it within a second).
    RevokeResult revoke(const std::string &id, std::string &error);
    std::vector<TokenListing> list() const;
    // Copies the workers' usage counts into the store and writes it if they changed. Logged on failure.
    void saveUsage();

private:
    void publish(uint32_t index);
    bool refreshUsage(); // the workers' counts into the store (not written); whether any changed
    TokenUsage usageOf(uint32_t index) const;

    std::string m_stateDir;
    TokenStore m_store;
    TokenTable m_table;
};

} // namespace ferry::server
