// Which cache entries go when the cache is over its bound: pure, so it is tested with tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::server::manifest {

struct CachedEntry {
    std::string name;
    uint64_t bytes = 0;
    int64_t usedNs = 0; // when it was last written or answered from (the entry file's mtime)
};

// The names to delete, least recently used first, so that what remains totals at most `maxBytes`.
// `keep` (the entry just written) is never chosen. Ties in age go by name, so the choice is stable.
// O(n log n) in the number of entries.
std::vector<std::string> entriesToEvict(std::vector<CachedEntry> entries, uint64_t maxBytes, const std::string &keep);

} // namespace ferry::server::manifest
