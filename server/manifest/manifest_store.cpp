#include "manifest/manifest_store.h"

#include "manifest/manifest_codec.h"
#include "base/log.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace ferry::server::manifest {

template <typename T, typename Decode, typename Encode, typename Compute>
Result<Answer<T>> ManifestStore::obtain(std::string_view kind, const UniqueFd &file, const Progress &progress,
                                        Decode decode, Encode encode, Compute compute) const
{
    struct stat info {};
    if (fstat(file.get(), &info) != 0)
        return Problem{Failure::ReadFailed, std::string("fstat(): ") + std::strerror(errno)};
    const FileStamp stamp = stampOf(info);
    std::optional<StampedCache::KeyLock> held;
    if (m_cache) {
        if (auto payload = m_cache->load(kind, stamp))
            if (std::optional<T> cached = decode(*payload, stamp))
                return Answer<T>{std::move(*cached), true};
        std::string why;
        held = m_cache->lock(kind, stamp, [&progress] { return progress(0); }, why);
        if (!held && why.empty())
            return Problem{Failure::Aborted, "stopped while another worker was hashing the file"};
        if (!held)
            LOG_WARN("manifest cache: %s; hashing without it", why.c_str());
        // Whoever held the lock has probably just stored what we want.
        if (auto payload = held ? m_cache->load(kind, stamp) : std::nullopt)
            if (std::optional<T> cached = decode(*payload, stamp))
                return Answer<T>{std::move(*cached), true};
    }
    Result<T> computed = compute();
    if (auto *failed = std::get_if<Problem>(&computed))
        return *failed;
    T &value = std::get<T>(computed);
    if (m_cache) {
        std::string why;
        if (!m_cache->store(kind, value.stamp, encode(value), why)) // the answer stands; only the cache missed it
            LOG_WARN("manifest cache: %s", why.c_str());
    }
    return Answer<T>{std::move(value), false};
}

Result<Answer<Manifest>> ManifestStore::manifest(const UniqueFd &file, const Progress &progress) const
{
    const uint32_t chunkSize = m_chunkSize;
    return obtain<Manifest>(
        "manifest", file, progress,
        [chunkSize](const std::string &payload, const FileStamp &stamp) {
            return decodeManifest(payload, stamp, chunkSize);
        },
        [](const Manifest &manifest) { return encodeManifest(manifest); },
        [&] { return computeManifest(file, chunkSize, progress); });
}

Result<Answer<WholeDigest>> ManifestStore::wholeDigest(const UniqueFd &file, const Progress &progress) const
{
    return obtain<WholeDigest>(
        "sha256", file, progress,
        [](const std::string &payload, const FileStamp &stamp) -> std::optional<WholeDigest> {
            if (std::optional<Digest> digest = decodeDigest(payload))
                return WholeDigest{stamp, *digest};
            return std::nullopt;
        },
        [](const WholeDigest &whole) { return encodeDigest(whole.digest); },
        [&] { return computeWholeDigest(file, progress); });
}

} // namespace ferry::server::manifest
