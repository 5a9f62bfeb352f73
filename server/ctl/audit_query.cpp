#include "ctl/audit_query.h"

#include "audit/audit_time.h"

namespace ferry::ctl {

std::optional<int64_t> parseSince(std::string_view text, int64_t nowMs)
{
    if (auto time = server::audit::parseTime(text))
        return time;
    // Number-unit pairs, each unit once at most and in falling order ("1d12h", not "12h1d"): what a person
    // types, and nothing that could mean two things.
    constexpr std::pair<char, int64_t> Units[] = {{'d', 86'400'000}, {'h', 3'600'000}, {'m', 60'000}, {'s', 1000}};
    int64_t back = 0;
    size_t nextUnit = 0, at = 0;
    while (at < text.size()) {
        int64_t value = 0;
        const size_t digitsFrom = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9' && at - digitsFrom < 9)
            value = value * 10 + (text[at++] - '0');
        if (at == digitsFrom || at == text.size())
            return std::nullopt; // no number, or a number without its unit
        while (nextUnit < std::size(Units) && Units[nextUnit].first != text[at])
            ++nextUnit;
        if (nextUnit == std::size(Units))
            return std::nullopt;
        back += value * Units[nextUnit++].second;
        ++at;
    }
    if (text.empty())
        return std::nullopt;
    return nowMs - back;
}

std::string_view peerHost(std::string_view peer)
{
    if (peer.starts_with('[')) {
        const size_t close = peer.find(']');
        return close == std::string_view::npos ? peer : peer.substr(1, close - 1);
    }
    const size_t colon = peer.rfind(':');
    return colon == std::string_view::npos ? peer : peer.substr(0, colon);
}

namespace {

bool pathMatches(std::string_view wanted, std::string_view path)
{
    while (wanted.ends_with('/'))
        wanted.remove_suffix(1);
    while (wanted.starts_with('/'))
        wanted.remove_prefix(1);
    if (wanted.empty())
        return true;
    return path == wanted || (path.starts_with(wanted) && path.size() > wanted.size() && path[wanted.size()] == '/');
}

bool peerMatches(std::string_view wanted, std::string_view peer)
{
    if (wanted.empty() || peer == wanted)
        return true;
    if (wanted.starts_with('[') && wanted.ends_with(']'))
        wanted = wanted.substr(1, wanted.size() - 2);
    return peerHost(peer) == wanted;
}

} // namespace

bool matches(const AuditQuery &query, const server::audit::Record &record)
{
    return (!query.sinceMs || record.timeMs >= *query.sinceMs) && pathMatches(query.path, record.path)
           && (query.token.empty() || record.tokenId == query.token) && peerMatches(query.peer, record.peer);
}

} // namespace ferry::ctl
