#include "manifest/stamped_cache.h"

#include "manifest/cache_eviction.h"
#include "base/log.h"
#include "base/syscall.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::server::manifest {

namespace {

// Version 2: manifest entries are SHA-256 chain states (docs/PROTOCOL.md §10.5). A version 1 entry
// (chunk digests) would decode as a well-formed manifest with a matching root, so it must be a miss:
// the new magic makes every old entry one, recomputed and replaced on the next request.
constexpr char Magic[8] = {'F', 'E', 'R', 'R', 'Y', 'C', 'E', '2'};
constexpr size_t HeaderSize = sizeof Magic + 6 * 8; // magic, the stamp's five fields, payload length
// Lock stripes: keys share these few files, so the lock files never need cleaning up (two files that
// fall on one stripe merely take turns). 64 is far more than the workers that could hash at once.
constexpr uint32_t LockStripes = 64;
// A temporary file this old was left by a worker that died between write and rename().
constexpr int64_t StaleTemporaryNs = 3600LL * 1'000'000'000;

std::string errnoText(const char *call) { return std::string(call) + "(): " + std::strerror(errno); }

void putBig(std::string &out, uint64_t value)
{
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(char(uint8_t(value >> shift)));
}

uint64_t getBig(std::string_view in, size_t at)
{
    uint64_t value = 0;
    for (size_t i = 0; i < 8; ++i)
        value = value << 8 | uint8_t(in[at + i]);
    return value;
}

std::string header(const FileStamp &stamp, uint64_t payloadSize)
{
    std::string out(Magic, sizeof Magic);
    for (uint64_t field : {stamp.device, stamp.inode, stamp.size, uint64_t(stamp.mtimeNs), uint64_t(stamp.ctimeNs),
                           payloadSize})
        putBig(out, field);
    return out;
}

bool writeAll(int fd, std::string_view bytes)
{
    while (!bytes.empty()) {
        const ssize_t wrote = retryOnEintr([&] { return write(fd, bytes.data(), bytes.size()); });
        if (wrote <= 0)
            return false;
        bytes.remove_prefix(size_t(wrote));
    }
    return true;
}

std::optional<std::string> readAll(int fd, size_t size)
{
    std::string bytes(size, '\0');
    size_t done = 0;
    while (done < size) {
        const ssize_t got = retryOnEintr([&] { return pread(fd, bytes.data() + done, size - done, off_t(done)); });
        if (got <= 0)
            return std::nullopt;
        done += size_t(got);
    }
    return bytes;
}

int64_t mtimeOf(const struct stat &info) { return int64_t(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec; }

int64_t wallClockNs()
{
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now); // file times are wall-clock times
    return int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// FNV-1a: the same stripe for a key in every process and every build sharing the directory.
uint32_t stripeOf(const std::string &key)
{
    uint32_t hash = 2166136261u;
    for (char c : key)
        hash = (hash ^ uint8_t(c)) * 16777619u;
    return hash % LockStripes;
}

struct DirCloser {
    void operator()(DIR *dir) const { closedir(dir); }
};

} // namespace

std::string entryName(std::string_view kind, const FileStamp &stamp)
{
    return std::string(kind) + "-" + std::to_string(stamp.device) + "-" + std::to_string(stamp.inode);
}

std::optional<StampedCache> StampedCache::open(const std::string &directory, uint64_t maxBytes, std::string &why)
{
    if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
        why = errnoText("mkdir") + " making the manifest cache " + directory;
        return std::nullopt;
    }
    UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        why = errnoText("open") + " of the manifest cache " + directory;
        return std::nullopt;
    }
    return StampedCache(std::move(fd), maxBytes);
}

std::optional<std::string> StampedCache::load(std::string_view kind, const FileStamp &stamp) const
{
    UniqueFd fd(openat(m_directory.get(), entryName(kind, stamp).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat info {};
    if (!fd || fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode) || uint64_t(info.st_size) < HeaderSize
        || uint64_t(info.st_size) > HeaderSize + m_maxBytes)
        return std::nullopt;
    std::optional<std::string> bytes = readAll(fd.get(), size_t(info.st_size));
    if (!bytes || bytes->compare(0, HeaderSize - 8, header(stamp, 0), 0, HeaderSize - 8) != 0
        || getBig(*bytes, HeaderSize - 8) != bytes->size() - HeaderSize)
        return std::nullopt; // absent, another version of the file, or torn
    futimens(fd.get(), nullptr); // used now: the least recently used entries are evicted first
    return bytes->substr(HeaderSize);
}

bool StampedCache::store(std::string_view kind, const FileStamp &stamp, std::string_view payload,
                         std::string &why) const
{
    if (payload.size() > m_maxBytes)
        return true;
    static std::atomic<uint32_t> sequence{0};
    const std::string temporary =
        "tmp-" + std::to_string(getpid()) + "-" + std::to_string(sequence.fetch_add(1, std::memory_order_relaxed));
    UniqueFd fd(openat(m_directory.get(), temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) {
        why = errnoText("openat") + " making a temporary cache entry";
        return false;
    }
    const std::string name = entryName(kind, stamp);
    const bool written = writeAll(fd.get(), header(stamp, payload.size())) && writeAll(fd.get(), payload);
    fd.reset();
    if (!written || renameat(m_directory.get(), temporary.c_str(), m_directory.get(), name.c_str()) != 0) {
        why = errnoText(written ? "renameat" : "write") + " storing cache entry " + name;
        unlinkat(m_directory.get(), temporary.c_str(), 0);
        return false;
    }
    evict(name);
    return true;
}

void StampedCache::evict(const std::string &keep) const
{
    // O(entries) per write; writes happen once per new file version, so this stays off the hot path.
    UniqueFd listing(openat(m_directory.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::unique_ptr<DIR, DirCloser> dir(listing ? fdopendir(listing.get()) : nullptr);
    if (!dir)
        return;
    listing.release(); // owned by `dir` now
    std::vector<CachedEntry> entries;
    const int64_t now = wallClockNs();
    while (dirent *item = readdir(dir.get())) {
        const std::string name = item->d_name;
        struct stat info {};
        if (name == "." || name == ".." || name.rfind("lock-", 0) == 0
            || fstatat(m_directory.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(info.st_mode))
            continue;
        if (name.rfind("tmp-", 0) == 0) {
            if (now - mtimeOf(info) > StaleTemporaryNs)
                unlinkat(m_directory.get(), name.c_str(), 0);
            continue;
        }
        entries.push_back({name, uint64_t(info.st_size), mtimeOf(info)});
    }
    for (const std::string &name : entriesToEvict(std::move(entries), m_maxBytes, keep))
        if (unlinkat(m_directory.get(), name.c_str(), 0) != 0 && errno != ENOENT) // ENOENT: another worker evicted it
            LOG_WARN("manifest cache: unlinkat() of %s: %s", name.c_str(), std::strerror(errno));
}

std::optional<StampedCache::KeyLock> StampedCache::tryLock(std::string_view kind, const FileStamp &stamp,
                                                           std::string &why) const
{
    const std::string name = "lock-" + std::to_string(stripeOf(entryName(kind, stamp)));
    UniqueFd fd(openat(m_directory.get(), name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        why = errnoText("openat") + " of the cache lock " + name;
        return std::nullopt;
    }
    if (retryOnEintr([&] { return flock(fd.get(), LOCK_EX | LOCK_NB); }) == 0)
        return KeyLock(std::move(fd));
    if (errno != EWOULDBLOCK)
        why = errnoText("flock") + " on the cache lock " + name;
    return std::nullopt;
}

} // namespace ferry::server::manifest
