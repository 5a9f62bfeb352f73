// A worker's open-file cache, as nginx's open_file_cache but never stale: a GET of a hot file reuses the
// fd opened for an earlier GET instead of paying openat2(), fstat() and close() again, but only after one
// statx() of the name has shown that it still leads to that very file, unchanged (same device and inode,
// size, mtime and ctime). A file replaced under its name (a new inode: rename, delete and recreate) or
// changed in place is therefore opened afresh, through the jail, before a byte of it is sent; the inode
// of a cached file cannot be reused for another while the cache holds it open.
//
// Why statx() on the name is enough to keep the jail's promise: the cached fd was opened by the jail
// (RESOLVE_BENEATH), and a hit serves only that same inode. statx() follows the path without the jail's
// rules, but it can only confirm the cached file, never lead anywhere else: any other answer is a miss.
//
// Entries are shared (a body in progress keeps its file even if the entry is dropped meanwhile), unused
// ones are closed after OpenFileTtlNs so that a deleted file's space is not held for long. The entries sit
// in one list, most recently used first: a hit, an eviction and an expiry cost O(1) each, whatever the size.
#pragma once

#include "base/unique_fd.h"

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unordered_map>

namespace ferry::server {

constexpr int64_t OpenFileTtlNs = 10'000'000'000; // an unused entry is closed after this
// Per worker, as soon as the fd limit allows: a working set of a few thousand files stays open. The memory
// is about 0.5 KiB an entry (name, stat, node); the kernel's side (dentry, inode) is cached anyway.
constexpr size_t OpenFileMaxCapacity = 4096;

// How many files a worker may keep open under a soft RLIMIT_NOFILE of `fdLimit`: a cached fd counts against
// the same limit as the worker's connections, so first their share is set aside (each connection's socket
// plus one fd it may hold outside the cache: a body whose entry was dropped, a directory being listed, a
// file being hashed; plus a handoff batch in flight and the worker's own few), and the cache takes half of
// what is left, so that a limit set lower than this expects still leaves room. Never above
// OpenFileMaxCapacity; 0 (no caching) when the limit is that tight.
size_t openFileCapacity(uint64_t fdLimit);
// The same for this process's current soft limit.
size_t openFileCapacity();

struct OpenFile {
    UniqueFd fd;
    struct stat info {}; // fstat at open: what BODY announces and the transfer checks against
};
using OpenFileRef = std::shared_ptr<const OpenFile>;

class OpenFiles {
public:
    explicit OpenFiles(size_t capacity = openFileCapacity()) : m_capacity(capacity) {}
    // The cached file `path` names, if one statx() relative to `rootFd` says the name still leads to
    // that same unchanged regular file; otherwise null, and a stale entry is dropped.
    OpenFileRef find(int rootFd, const std::string &path, int64_t nowNs);
    // Caches `file`, just opened by the jail for `path`, and returns it.
    OpenFileRef keep(std::string_view path, OpenFile &&file, int64_t nowNs);
    void forget(std::string_view path);
    // Closes the entries unused for OpenFileTtlNs. O(entries closed). `nowNs` never goes back.
    void expire(int64_t nowNs);
    // When the next entry would expire; INT64_MAX when the cache is empty. O(1).
    int64_t nextExpiryNs() const;
    size_t size() const { return m_entries.size(); }
    size_t capacity() const { return m_capacity; }

private:
    struct Entry {
        std::string path;
        OpenFileRef file;
        int64_t lastUsedNs = 0;
    };
    using Order = std::list<Entry>; // most recently used first; its nodes never move, so keys may point in
    void erase(Order::iterator entry);
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
    };
    size_t m_capacity;
    Order m_order;
    std::unordered_map<std::string_view, Order::iterator, Hash, std::equal_to<>> m_entries; // into m_order
};

// Pure: whether a statx() of the name describes the same unchanged regular file as `info`.
bool sameUnchangedFile(const struct statx &now, const struct stat &info);

} // namespace ferry::server
