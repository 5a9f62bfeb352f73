#include "worker/open_files.h"

#include "base/syscall.h"

#include <algorithm>
#include <fcntl.h>
#include <string>
#include <sys/sysmacros.h>

namespace ferry::server {

namespace {

constexpr unsigned StatxMask = STATX_TYPE | STATX_INO | STATX_SIZE | STATX_MTIME | STATX_CTIME;

bool sameTime(const statx_timestamp &now, const timespec &then)
{
    return now.tv_sec == then.tv_sec && int64_t(now.tv_nsec) == int64_t(then.tv_nsec);
}

} // namespace

bool sameUnchangedFile(const struct statx &now, const struct stat &info)
{
    return (now.stx_mask & StatxMask) == StatxMask && S_ISREG(now.stx_mode)
           && makedev(now.stx_dev_major, now.stx_dev_minor) == info.st_dev && now.stx_ino == info.st_ino
           && now.stx_size == uint64_t(info.st_size) && sameTime(now.stx_mtime, info.st_mtim)
           && sameTime(now.stx_ctime, info.st_ctim);
}

OpenFileRef OpenFiles::find(int rootFd, const std::string &path, int64_t nowNs)
{
    auto it = m_entries.find(path);
    if (it == m_entries.end())
        return nullptr;
    // The name as it is now: AT_SYMLINK_NOFOLLOW, so a final symlink is its own inode and never a hit.
    struct statx now {};
    const int result = retryOnEintr(
        [&] { return statx(rootFd, path.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, StatxMask, &now); });
    if (result != 0 || !sameUnchangedFile(now, it->second.file->info)) {
        m_entries.erase(it);
        return nullptr;
    }
    it->second.lastUsedNs = nowNs;
    return it->second.file;
}

OpenFileRef OpenFiles::keep(std::string_view path, OpenFile &&file, int64_t nowNs)
{
    auto shared = std::make_shared<const OpenFile>(std::move(file));
    if (auto it = m_entries.find(path); it != m_entries.end()) {
        it->second = {shared, nowNs};
        return shared;
    }
    if (m_entries.size() >= OpenFileCapacity)
        evictOldest();
    m_entries.emplace(std::string(path), Entry{shared, nowNs});
    return shared;
}

void OpenFiles::forget(std::string_view path)
{
    if (auto it = m_entries.find(path); it != m_entries.end())
        m_entries.erase(it);
}

void OpenFiles::evictOldest()
{
    // O(entries), only when a new file arrives at a full cache.
    auto oldest = m_entries.begin();
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it)
        if (it->second.lastUsedNs < oldest->second.lastUsedNs)
            oldest = it;
    if (oldest != m_entries.end())
        m_entries.erase(oldest);
}

void OpenFiles::expire(int64_t nowNs)
{
    std::erase_if(m_entries, [nowNs](const auto &item) { return item.second.lastUsedNs + OpenFileTtlNs <= nowNs; });
}

int64_t OpenFiles::nextExpiryNs() const
{
    int64_t next = INT64_MAX;
    for (const auto &[path, entry] : m_entries)
        next = std::min(next, entry.lastUsedNs + OpenFileTtlNs);
    return next;
}

} // namespace ferry::server
