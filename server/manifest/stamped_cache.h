// A bounded cache of small per-file results (manifests, whole-file digests) in a directory of the state
// directory, never under the served root. An entry is named by what it holds and the file's device and
// inode, and carries the file's full stamp: an entry whose stamp differs from the file's now is a miss
// and is overwritten, so any change of the file invalidates it and each file has at most one entry of
// each kind. Writes are atomic (a private temporary file, then rename()), so a reader sees a whole
// entry or none; the bound is kept by evicting the least recently used entries after each write.
// Several worker processes share one cache: a per-key lock (flock on one of a fixed set of lock files)
// lets one compute while the others wait and then read its result.
#pragma once

#include "manifest/file_stamp.h"
#include "base/unique_fd.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::server::manifest {

class StampedCache {
public:
    // Opens `directory`, creating it (mode 0700) if it is missing; its parent must exist. nullopt with
    // `why` set if it cannot be made or opened. `maxBytes` bounds the entries' total size.
    static std::optional<StampedCache> open(const std::string &directory, uint64_t maxBytes, std::string &why);

    // The payload stored for (kind, stamp), or nullopt if there is none, it is stale (another stamp)
    // or damaged. A hit refreshes the entry's age, so eviction takes the least recently used.
    std::optional<std::string> load(std::string_view kind, const FileStamp &stamp) const;
    // Stores `payload` for (kind, stamp), replacing what that file had, then evicts to the bound. An
    // entry larger than the whole bound is not kept (true: nothing is wrong). False with `why` on an
    // I/O failure; the cache is then as it was.
    [[nodiscard]] bool store(std::string_view kind, const FileStamp &stamp, std::string_view payload,
                             std::string &why) const;

    // Held while one process computes what a key's entry will hold; released when destroyed.
    class KeyLock {
    public:
        explicit KeyLock(UniqueFd fd) : m_fd(std::move(fd)) {}

    private:
        UniqueFd m_fd; // closing it releases the flock
    };
    // The lock of (kind, stamp's file), in one try that never waits (flock() cannot wait with a
    // deadline, and a TLS worker may not wait at all): the lock; or nullopt with `why` empty if another
    // process holds it (try again later), or with `why` set if the lock file cannot be opened or locked.
    std::optional<KeyLock> tryLock(std::string_view kind, const FileStamp &stamp, std::string &why) const;
    // How long a caller that found the lock held should wait before it tries again.
    static constexpr int64_t LockRetryNs = 10'000'000;

    uint64_t maxBytes() const { return m_maxBytes; }
    int directoryFd() const { return m_directory.get(); }

private:
    StampedCache(UniqueFd directory, uint64_t maxBytes) : m_directory(std::move(directory)), m_maxBytes(maxBytes) {}
    void evict(const std::string &keep) const;

    UniqueFd m_directory;
    uint64_t m_maxBytes;
};

// The entry's file name for (kind, stamp): "<kind>-<device>-<inode>". Exposed for tests.
std::string entryName(std::string_view kind, const FileStamp &stamp);

} // namespace ferry::server::manifest
