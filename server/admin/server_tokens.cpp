// ServerBackend's token commands (docs/ADMIN.md §5.7–5.9): the parent's TokenKeeper as JSON, and the
// capability link a new token is handed out in. The secret leaves only in token_create's reply.
#include "admin/server_backend.h"

#include "base/clock.h"

#include <unistd.h>

namespace ferry::admin {

namespace {

int64_t toMs(int64_t ns) { return ns / 1'000'000; }

// Percent-encodes everything but RFC 3986's unreserved characters (and '/' when `keepSlash`).
std::string percentEncoded(std::string_view text, bool keepSlash)
{
    static constexpr char Hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/'))
            out.push_back(char(c));
        else
            out.append({'%', Hex[c >> 4], Hex[c & 15]});
    }
    return out;
}

// The host and port the link names: `host` if given, else the listening address unless it is a wildcard,
// else this machine's name.
std::string linkAuthority(const std::string &host, const std::string &listen)
{
    const size_t colon = listen.rfind(':');
    std::string listenHost = listen.substr(0, colon), port = listen.substr(colon + 1);
    std::string name = host;
    if (name.empty() && listenHost != "0.0.0.0" && listenHost != "[::]")
        name = listenHost;
    if (name.empty()) {
        char buffer[256] = {};
        name = gethostname(buffer, sizeof buffer - 1) == 0 && buffer[0] ? buffer : "localhost";
    }
    if (name.find(':') != std::string::npos && name.front() != '[')
        name = "[" + name + "]"; // an IPv6 address
    return name + ":" + port;
}

// Whether `path` names a regular file in the served tree now (resolved as the jail resolves it).
bool isRegularFile(const server::Jail &jail, const std::string &path)
{
    const server::Opened what = jail.stat(path);
    return what.error == proto::ErrorCode::Ok && S_ISREG(what.info.st_mode);
}

const char *stateOf(const server::Token &token, int64_t nowWallNs)
{
    if (token.isRevoked())
        return "revoked";
    return token.hasExpired(nowWallNs) ? "expired" : "active";
}

} // namespace

Json tokenJson(const server::TokenListing &item, int64_t nowWallNs)
{
    const server::Token &token = item.token;
    return Json{{"id", token.id},
                {"label", token.label},
                {"path", token.scope},
                {"state", stateOf(token, nowWallNs)},
                {"created_ms", toMs(token.createdNs)},
                {"expires_ms", toMs(token.expiresAtNs)},
                {"revoked_ms", toMs(token.revokedNs)},
                {"rate", token.rate},
                {"max_connections", token.maxConnections},
                {"max_bytes", token.maxBytes},
                {"connections", item.connections},
                {"usage",
                 {{"bytes", token.usage.bytes},
                  {"requests", token.usage.requests},
                  {"last_used_ms", toMs(token.usage.lastUsedNs)},
                  {"last_peer", token.usage.lastPeer}}}};
}

std::string capabilityLink(const std::string &authority, const std::string &scope, bool namesFile,
                           const std::string &fingerprint, const std::string &secret)
{
    const bool folder = !scope.empty() && !namesFile;
    std::string link = "ferry://" + authority + "/" + percentEncoded(scope, true) + (folder ? "/" : "") + "?";
    if (!fingerprint.empty())
        link += "fp=" + percentEncoded(fingerprint, false) + "&";
    return link + "token=" + secret; // the secret's alphabet is URL-safe already
}

CommandResult ServerBackend::tokenCreate(const TokenCreateArgs &args)
{
    server::TokenRequest request{args.path, args.label, args.expiresInS * 1'000'000'000, args.rate,
                                 args.maxConnections, args.maxBytes};
    std::string error;
    bool badRequest = false;
    std::optional<server::CreatedToken> created = m_parent.tokens().create(request, error, badRequest);
    if (!created)
        return CommandResult::failure(badRequest ? ErrorCode::BadArgument : ErrorCode::Failed, error);
    const std::string authority = linkAuthority(args.host, m_parent.listenAddress());
    const std::string &scope = created->token.scope;
    // Looked at once, for the link's spelling; the workers judge the scope afresh on every request.
    const bool namesFile = !scope.empty() && isRegularFile(m_parent.jail(), scope);
    Json fields{{"token", tokenJson({created->token, 0}, server::wallClockNs())},
                {"secret", created->secret},
                {"link", capabilityLink(authority, scope, namesFile, m_parent.fingerprint(), created->secret)}};
    return CommandResult::success(std::move(fields));
}

CommandResult ServerBackend::tokenList()
{
    const int64_t now = server::wallClockNs();
    Json tokens = Json::array();
    for (const server::TokenListing &item : m_parent.tokens().list())
        tokens.push_back(tokenJson(item, now));
    return CommandResult::success(Json{{"tokens", std::move(tokens)}});
}

CommandResult ServerBackend::tokenRevoke(const std::string &id)
{
    std::string error;
    switch (m_parent.tokens().revoke(id, error)) {
    case server::TokenKeeper::RevokeResult::NoSuchToken: return CommandResult::failure(ErrorCode::NotFound, error);
    case server::TokenKeeper::RevokeResult::Failed: return CommandResult::failure(ErrorCode::Failed, error);
    case server::TokenKeeper::RevokeResult::Revoked: break;
    }
    for (const server::TokenListing &item : m_parent.tokens().list())
        if (item.token.id == id)
            return CommandResult::success(Json{{"token", tokenJson(item, server::wallClockNs())}});
    return CommandResult::success();
}

} // namespace ferry::admin
