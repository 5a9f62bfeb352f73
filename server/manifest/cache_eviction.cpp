#include "manifest/cache_eviction.h"

#include <algorithm>
#include <tuple>

namespace ferry::server::manifest {

std::vector<std::string> entriesToEvict(std::vector<CachedEntry> entries, uint64_t maxBytes, const std::string &keep)
{
    uint64_t total = 0;
    for (const CachedEntry &entry : entries)
        total += entry.bytes;
    std::sort(entries.begin(), entries.end(), [](const CachedEntry &a, const CachedEntry &b) {
        return std::tie(a.usedNs, a.name) < std::tie(b.usedNs, b.name);
    });
    std::vector<std::string> evicted;
    for (const CachedEntry &entry : entries) {
        if (total <= maxBytes)
            break;
        if (entry.name == keep)
            continue;
        total -= entry.bytes;
        evicted.push_back(entry.name);
    }
    return evicted;
}

} // namespace ferry::server::manifest
