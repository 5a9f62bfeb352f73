#include "ctl/token_render.h"

#include "ctl/render.h"
#include "ctl/terminal_text.h"

#include <cstdio>
#include <ctime>

namespace ferry::ctl {

namespace {

using admin::Json;


std::string dateOf(int64_t ms)
{
    if (ms <= 0)
        return "-";
    const time_t seconds = time_t(ms / 1000);
    tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
    return text;
}

std::string scopeOf(const Json &token)
{
    return "/" + shownMember(token, "path");
}

std::string limitsOf(const Json &token)
{
    std::string text;
    if (int64_t rate = admin::intMember(token, "rate"))
        text += " rate " + humanBytes(rate) + "/s";
    if (int64_t connections = admin::intMember(token, "max_connections"))
        text += " max " + std::to_string(connections) + " connections";
    if (int64_t bytes = admin::intMember(token, "max_bytes"))
        text += " max " + humanBytes(bytes);
    return text.empty() ? "no limits" : text.substr(1);
}

std::string expiryOf(const Json &token, int64_t nowMs)
{
    const std::string state = admin::textMember(token, "state");
    if (state == "revoked")
        return "revoked " + dateOf(admin::intMember(token, "revoked_ms"));
    const int64_t expires = admin::intMember(token, "expires_ms");
    if (expires == 0)
        return "never expires";
    if (state == "expired" || expires <= nowMs)
        return "expired " + dateOf(expires);
    return "expires " + dateOf(expires) + " (in " + humanDuration((expires - nowMs) / 1000) + ")";
}

} // namespace

std::string renderTokenCreated(const Json &reply)
{
    const Json *token = admin::member(reply, "token");
    if (!token)
        return "the server's reply holds no token\n";
    const std::string label = shownMember(*token, "label");
    std::string text = "Token " + shownMember(*token, "id") + (label.empty() ? "" : " \"" + label + "\"")
                       + " grants " + scopeOf(*token) + ", " + expiryOf(*token, admin::intMember(*token, "created_ms"))
                       + ", " + limitsOf(*token) + ".\n";
    text += "Secret (shown only now, the server keeps only its hash):\n  " + shownMember(reply, "secret") + "\n";
    const std::string link = shownMember(reply, "link");
    // The server spells a folder's link with a '/' at its path's end and a file's without (a token for one file).
    const std::string linkPath = link.substr(0, link.find('?'));
    const bool namesFile = !admin::textMember(*token, "path").empty() && !linkPath.ends_with('/');
    text += std::string(namesFile ? "Link (downloads " : "Link (opens the Downloader at ") + scopeOf(*token)
            + "):\n  " + link + "\n";
    return text;
}

std::string renderTokenList(const Json &tokens, int64_t nowMs)
{
    if (!tokens.is_array() || tokens.empty())
        return "No tokens. Make one with: ferry-ctl token create --path SUBTREE --expires 7d\n";
    std::string text;
    for (const Json &token : tokens) {
        const Json *usage = admin::member(token, "usage");
        const std::string label = shownMember(token, "label");
        text += shownMember(token, "id") + "  " + (label.empty() ? "(no label)" : label) + "\n";
        text += "    grants " + scopeOf(token) + ", " + expiryOf(token, nowMs) + ", " + limitsOf(token) + "\n";
        if (usage) {
            const int64_t lastUsed = admin::intMember(*usage, "last_used_ms");
            text += "    used: " + humanBytes(admin::intMember(*usage, "bytes")) + " in "
                    + std::to_string(admin::intMember(*usage, "requests")) + " requests, "
                    + std::to_string(admin::intMember(token, "connections")) + " connected now"
                    + (lastUsed ? ", last " + dateOf(lastUsed) + " from " + shownMember(*usage, "last_peer")
                                : ", never")
                    + "\n";
        }
    }
    return text;
}

std::string renderTokenRevoked(const Json &reply)
{
    const Json *token = admin::member(reply, "token");
    const std::string id = token ? shownMember(*token, "id") : std::string("?");
    return "Token " + id + " is revoked: new requests under it are refused and its transfers are cut.\n";
}

} // namespace ferry::ctl
