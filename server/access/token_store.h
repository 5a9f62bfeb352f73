// The token store: every access token the administrator made, in one file of the state directory
// (`tokens.json`, mode 0600). It holds each token's public id, metadata and usage, and only the SHA-256
// of its secret (token_secret.h). The parent owns it: it loads it at start, changes it on the admin
// socket's token commands, and writes it whole and atomically (temporary file, fsync, rename, fsync of
// the directory), so a crash leaves the old file or the new one, never a mix. Workers never read it;
// they see tokens through shared memory (ipc/token_table.h).
#pragma once

#include "access/token_secret.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ferry::server {

struct TokenUsage {
    uint64_t bytes = 0;     // body bytes sent under the token, all connections together
    uint64_t requests = 0;  // requests served under it
    int64_t lastUsedNs = 0; // wall clock, ns since the epoch; 0 = never
    std::string lastPeer;   // "1.2.3.4:5678" of the last request
    bool operator==(const TokenUsage &) const = default;
};

struct Token {
    std::string id;       // public: "tk-" and 10 hex digits
    std::string label;    // the administrator's, may be empty
    std::string scope;    // the subtree it grants, normal form (access/grant.h); "" = the whole tree
    SecretHash hash{};    // SHA-256 of the secret
    int64_t createdNs = 0;   // wall clock
    int64_t expiresAtNs = 0; // wall clock; 0 = never
    int64_t revokedNs = 0;   // wall clock; 0 = not revoked
    uint64_t rate = 0;       // bytes/s over all its connections, 0 = unlimited
    uint32_t maxConnections = 0; // simultaneous connections, 0 = unlimited
    uint64_t maxBytes = 0;   // bytes in all, 0 = unlimited
    TokenUsage usage;

    bool isRevoked() const { return revokedNs != 0; }
    bool hasExpired(int64_t nowWallNs) const { return expiresAtNs != 0 && nowWallNs >= expiresAtNs; }
};

// What the administrator asks for (ferry-ctl token create).
struct TokenRequest {
    std::string scope; // as given; normalised by create()
    std::string label;
    int64_t lifetimeNs = 0; // 0 = never expires
    uint64_t rate = 0;
    uint32_t maxConnections = 0;
    uint64_t maxBytes = 0;
};

struct CreatedToken {
    Token token;
    std::string secret; // shown once, never stored
};

constexpr size_t MaxTokenLabel = 200;   // bytes
constexpr size_t MaxTokenScope = 1024;  // bytes, normal form
constexpr size_t MaxTokens = 1024;      // revoked ones included (shared memory holds this many)

class TokenStore {
public:
    // The store of `path` (the file need not exist yet: an empty store). Nothing, with `error` set to one
    // sentence, if the file exists but cannot be read or is not a token store.
    static std::optional<TokenStore> load(const std::string &path, std::string &error);

    const std::vector<Token> &tokens() const { return m_tokens; }
    Token &token(size_t index) { return m_tokens[index]; }
    const Token *find(const std::string &id) const;
    Token *find(const std::string &id);

    // A new token (in memory; save() writes it). Nothing, with `error` one sentence, for a bad request
    // (scope, label) or a full store.
    std::optional<CreatedToken> create(const TokenRequest &request, int64_t nowWallNs, std::string &error);
    // Marks the token revoked (it stays listed). False if there is no such id.
    bool revoke(const std::string &id, int64_t nowWallNs);

    // Writes the whole store atomically. 0 or an errno value.
    [[nodiscard]] int save() const;
    const std::string &path() const { return m_path; }

private:
    std::string m_path;
    std::vector<Token> m_tokens;
};

// The file's text and back (exposed for tests). fromJson: nothing, with `error`, if malformed.
std::string tokensToJson(const std::vector<Token> &tokens);
std::optional<std::vector<Token>> tokensFromJson(const std::string &text, std::string &error);

} // namespace ferry::server
