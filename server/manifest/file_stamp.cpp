#include "manifest/file_stamp.h"

namespace ferry::server::manifest {

namespace {

int64_t nanoseconds(const struct timespec &time) { return int64_t(time.tv_sec) * 1'000'000'000 + time.tv_nsec; }

} // namespace

FileStamp stampOf(const struct stat &info)
{
    return {uint64_t(info.st_dev), uint64_t(info.st_ino), uint64_t(info.st_size), nanoseconds(info.st_mtim),
            nanoseconds(info.st_ctim)};
}

std::string describeChange(const FileStamp &before, const FileStamp &after)
{
    if (before.size != after.size)
        return "its size went from " + std::to_string(before.size) + " to " + std::to_string(after.size) + " bytes";
    if (before.mtimeNs != after.mtimeNs)
        return "its modification time changed";
    if (before.ctimeNs != after.ctimeNs)
        return "its status change time moved (it was written, truncated or touched)";
    if (before.device != after.device || before.inode != after.inode)
        return "it is another file now";
    return {};
}

} // namespace ferry::server::manifest
