// Manifests and whole-file digests, from the cache when it holds the file's current version, else
// computed (once, however many workers ask at the same time) and stored for the next request. Without
// a cache (none configured, or its directory unusable) everything is computed each time. The calls
// here wait until the answer is made; hash_task.h makes it a piece at a time, for a caller that may not.
#pragma once

#include "manifest/manifest.h"
#include "manifest/stamped_cache.h"

#include <optional>

namespace ferry::server::manifest {

template <typename T>
struct Answer {
    T value;
    bool fromCache = false; // read from the cache (or computed by another worker while this one waited)
};

class ManifestStore {
public:
    explicit ManifestStore(std::optional<StampedCache> cache, uint32_t chunkSize = DefaultChunkSize)
        : m_cache(std::move(cache)), m_chunkSize(chunkSize)
    {
    }

    // The manifest of the open regular file `file` as it is now. `progress` is called while hashing and,
    // with 0, while waiting for another worker computing the same file: false stops either (Aborted).
    [[nodiscard]] Result<Answer<Manifest>> manifest(const UniqueFd &file, const Progress &progress) const;
    // The SHA-256 of the whole file, the same way.
    [[nodiscard]] Result<Answer<WholeDigest>> wholeDigest(const UniqueFd &file, const Progress &progress) const;

    uint32_t chunkSize() const { return m_chunkSize; }
    bool hasCache() const { return m_cache.has_value(); }
    const std::optional<StampedCache> &cache() const { return m_cache; }

private:
    std::optional<StampedCache> m_cache;
    uint32_t m_chunkSize;
};

} // namespace ferry::server::manifest
