// What identifies one version of a file: a change of any field means its manifest is no longer valid.
#pragma once

#include <cstdint>
#include <string>
#include <sys/stat.h>

namespace ferry::server::manifest {

struct FileStamp {
    uint64_t device = 0;
    uint64_t inode = 0;
    uint64_t size = 0;
    int64_t mtimeNs = 0;
    // ctime too: a writer can put mtime back (touch -d, utimensat), but not ctime, which any write,
    // truncate, chmod or utimensat moves.
    int64_t ctimeNs = 0;
    bool operator==(const FileStamp &) const = default;
};

FileStamp stampOf(const struct stat &info);

// How two stamps of one open file differ, for FILE_CHANGED's message ("size 10 -> 12"); "" if equal.
std::string describeChange(const FileStamp &before, const FileStamp &after);

} // namespace ferry::server::manifest
