#include "worker/open_files.h"

#include "base/syscall.h"
#include "ipc/handoff.h"

#include <algorithm>
#include <fcntl.h>
#include <iterator>
#include <string>
#include <sys/resource.h>
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

size_t openFileCapacity(uint64_t fdLimit)
{
    constexpr uint64_t Connections = MaxConnectionsPerWorker + MaxTlsConnectionsPerWorker;
    constexpr uint64_t Reserved = 2 * Connections + MaxHandoffBatch + 32;
    if (fdLimit <= Reserved)
        return 0;
    return size_t(std::min<uint64_t>((fdLimit - Reserved) / 2, OpenFileMaxCapacity));
}

size_t openFileCapacity()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    return openFileCapacity(limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : uint64_t(limit.rlim_cur));
}

OpenFileRef OpenFiles::find(int rootFd, const std::string &path, int64_t nowNs)
{
    auto it = m_entries.find(path);
    if (it == m_entries.end())
        return nullptr;
    const Order::iterator entry = it->second;
    // The name as it is now: AT_SYMLINK_NOFOLLOW, so a final symlink is its own inode and never a hit.
    struct statx now {};
    const int result = retryOnEintr(
        [&] { return statx(rootFd, path.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, StatxMask, &now); });
    if (result != 0 || !sameUnchangedFile(now, entry->file->info)) {
        erase(entry);
        return nullptr;
    }
    entry->lastUsedNs = nowNs;
    m_order.splice(m_order.begin(), m_order, entry);
    return entry->file;
}

OpenFileRef OpenFiles::keep(std::string_view path, OpenFile &&file, int64_t nowNs)
{
    auto shared = std::make_shared<const OpenFile>(std::move(file));
    forget(path);
    if (m_capacity == 0)
        return shared; // served, never kept: the fd limit leaves no room
    if (m_entries.size() >= m_capacity)
        erase(std::prev(m_order.end())); // the least recently used
    m_order.push_front(Entry{std::string(path), shared, nowNs});
    m_entries.emplace(m_order.front().path, m_order.begin());
    return shared;
}

void OpenFiles::forget(std::string_view path)
{
    if (auto it = m_entries.find(path); it != m_entries.end())
        erase(it->second);
}

void OpenFiles::erase(Order::iterator entry)
{
    m_entries.erase(std::string_view(entry->path)); // before the node that holds the key goes
    m_order.erase(entry);
}

void OpenFiles::expire(int64_t nowNs)
{
    // The list is in order of last use, so the expired entries are all at its end.
    while (!m_order.empty() && m_order.back().lastUsedNs + OpenFileTtlNs <= nowNs)
        erase(std::prev(m_order.end()));
}

int64_t OpenFiles::nextExpiryNs() const
{
    return m_order.empty() ? INT64_MAX : m_order.back().lastUsedNs + OpenFileTtlNs;
}

} // namespace ferry::server
