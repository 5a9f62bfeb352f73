#include "access/grant.h"

#include <algorithm>

namespace ferry::server {

namespace {

// The non-empty components of a '/'-separated path.
std::vector<std::string_view> components(std::string_view path)
{
    std::vector<std::string_view> parts;
    size_t begin = 0;
    while (begin <= path.size()) {
        size_t end = path.find('/', begin);
        if (end == std::string_view::npos)
            end = path.size();
        if (end > begin)
            parts.push_back(path.substr(begin, end - begin));
        begin = end + 1;
    }
    return parts;
}

bool startsWith(const std::vector<std::string_view> &path, const std::vector<std::string_view> &prefix)
{
    return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

// Whether subtree `inner` lies within subtree `outer` (or is it).
bool within(const std::string &inner, const std::string &outer)
{
    return startsWith(components(inner), components(outer));
}

std::string trimmed(std::string_view text)
{
    const size_t begin = text.find_first_not_of(" \t");
    if (begin == std::string_view::npos)
        return {};
    const size_t end = text.find_last_not_of(" \t");
    return std::string(text.substr(begin, end - begin + 1));
}

} // namespace

std::optional<GrantedPath> locateInGrant(const Grant &grant, std::string_view path)
{
    if (grant.wholeTree)
        return GrantedPath{"", std::string(path)};
    if (path.find('\0') != std::string_view::npos || (!path.empty() && path.front() == '/'))
        return std::nullopt;
    const std::vector<std::string_view> parts = components(path);
    if (std::find(parts.begin(), parts.end(), "..") != parts.end())
        return std::nullopt;
    for (const std::string &subtree : grant.subtrees) {
        const std::vector<std::string_view> prefix = components(subtree);
        if (!startsWith(parts, prefix))
            continue;
        std::string rest;
        for (size_t i = prefix.size(); i < parts.size(); ++i)
            rest.append(rest.empty() ? "" : "/").append(parts[i]);
        if (!rest.empty() && path.ends_with('/'))
            rest.push_back('/'); // "a.bin/" names no file, here as in the root's jail (ENOTDIR)
        return GrantedPath{subtree, rest};
    }
    return std::nullopt;
}

std::optional<std::vector<std::string>> namesTowardGrant(const Grant &grant, std::string_view path)
{
    if (grant.wholeTree || path.find('\0') != std::string_view::npos || (!path.empty() && path.front() == '/'))
        return std::nullopt;
    const std::vector<std::string_view> parts = components(path);
    if (std::find_if(parts.begin(), parts.end(), [](std::string_view p) { return p == "." || p == ".."; })
        != parts.end())
        return std::nullopt;
    std::vector<std::string> names;
    for (const std::string &subtree : grant.subtrees) {
        const std::vector<std::string_view> prefix = components(subtree);
        if (prefix.size() > parts.size() && startsWith(prefix, parts))
            names.emplace_back(prefix[parts.size()]);
    }
    if (names.empty())
        return std::nullopt;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

std::optional<std::string> normalizeSubtree(std::string_view subtree)
{
    if (subtree.find('\0') != std::string_view::npos)
        return std::nullopt;
    std::string normal;
    for (std::string_view part : components(subtree)) {
        if (part == "." || part == "..")
            return std::nullopt;
        normal.append(normal.empty() ? "" : "/").append(part);
    }
    return normal;
}

Grant widen(Grant grant, const std::string &subtree)
{
    if (grant.wholeTree)
        return grant;
    if (subtree.empty())
        return Grant::all();
    for (const std::string &held : grant.subtrees)
        if (within(subtree, held))
            return grant; // already covered
    std::erase_if(grant.subtrees, [&](const std::string &held) { return within(held, subtree); });
    grant.subtrees.push_back(subtree);
    std::sort(grant.subtrees.begin(), grant.subtrees.end());
    return grant;
}

std::optional<Grant> parseAnonymous(std::string_view value, std::string &error)
{
    const std::string whole = trimmed(value);
    if (whole == "all")
        return Grant::all();
    if (whole == "none")
        return Grant::none();
    Grant grant;
    size_t begin = 0;
    while (begin <= whole.size()) {
        size_t end = whole.find(',', begin);
        if (end == std::string::npos)
            end = whole.size();
        const std::string item = trimmed(std::string_view(whole).substr(begin, end - begin));
        std::optional<std::string> subtree = normalizeSubtree(item);
        if (item.empty() || !subtree) {
            error = "all, none or a comma-separated list of subtrees of the root (no '.' or '..' in them)";
            return std::nullopt;
        }
        grant = widen(std::move(grant), *subtree);
        begin = end + 1;
    }
    return grant;
}

const char *authCapability(const Grant &anonymous)
{
    if (anonymous.wholeTree)
        return "";
    return anonymous.subtrees.empty() ? "required" : "optional";
}

std::string describeGrant(const Grant &grant)
{
    if (grant.wholeTree)
        return "all";
    if (grant.subtrees.empty())
        return "none";
    std::string text;
    for (const std::string &subtree : grant.subtrees)
        text.append(text.empty() ? "" : ",").append(subtree);
    return text;
}

} // namespace ferry::server
