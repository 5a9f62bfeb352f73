#include "worker/jail.h"

#include "base/config_error.h"
#include "base/syscall.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ferry::server {

using proto::ErrorCode;

namespace {

long openat2Call(int base, const char *path, uint64_t flags)
{
    open_how how{};
    how.flags = flags | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return retryOnEintr([&] { return syscall(SYS_openat2, base, path, &how, sizeof how); });
}

Opened failure(ErrorCode code, std::string message)
{
    Opened result;
    result.error = code;
    result.message = std::move(message);
    return result;
}

Opened fromErrno(int error, std::string_view path)
{
    std::string shown = "'" + std::string(path) + "'";
    switch (error) {
    case ENOENT:
    case ENOTDIR: return failure(ErrorCode::NotFound, shown + " does not exist");
    case EXDEV:
    case ELOOP:
    case EACCES:
    case EPERM:
    case ENAMETOOLONG: return failure(ErrorCode::Forbidden, shown + " is outside the served tree or not readable");
    default: return failure(ErrorCode::Internal, "openat2() " + shown + ": " + std::strerror(error));
    }
}

// NotAFile for anything but a regular file; Ok (no fd) for a regular file.
Opened refuseUnlessRegular(std::string_view path, const struct stat &info)
{
    if (S_ISREG(info.st_mode))
        return {};
    return failure(ErrorCode::NotAFile,
                   "'" + std::string(path) + (S_ISDIR(info.st_mode) ? "' is a directory" : "' is not a regular file"));
}

} // namespace

Jail Jail::open(const std::string &root, bool showHidden)
{
    UniqueFd fd(retryOnEintr([&] { return ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
    if (!fd)
        throw ConfigError("cannot open root directory " + root + ": " + std::strerror(errno));
    // Readable means listable: a directory we may open but not read would fail every request.
    if (faccessat(fd.get(), ".", R_OK | X_OK, AT_EACCESS) != 0)
        throw ConfigError("root directory " + root + " is not readable: " + std::strerror(errno));
    return Jail(std::move(fd), showHidden);
}

ErrorCode Jail::check(std::string_view path, std::string *reason) const
{
    auto refuse = [&](const char *why) {
        if (reason)
            *reason = why;
        return ErrorCode::Forbidden;
    };
    if (path.size() > proto::MaxPathLength)
        return refuse("path too long");
    if (path.find('\0') != std::string_view::npos)
        return refuse("NUL byte in path");
    if (!path.empty() && path.front() == '/')
        return refuse("absolute paths are not allowed");
    size_t begin = 0;
    while (begin <= path.size()) {
        size_t end = path.find('/', begin);
        if (end == std::string_view::npos)
            end = path.size();
        std::string_view component = path.substr(begin, end - begin);
        if (component.size() > NAME_MAX)
            return refuse("name too long");
        if (component == "." || component == "..")
            return refuse("'.' and '..' are not allowed in paths");
        if (!component.empty() && component.front() == '.' && !m_showHidden)
            return refuse("hidden files are not served");
        begin = end + 1;
    }
    return ErrorCode::Ok;
}

Opened Jail::openBeneath(int base, std::string_view path, uint64_t flags) const
{
    std::string reason;
    if (check(path, &reason) != ErrorCode::Ok)
        return failure(ErrorCode::Forbidden, "'" + std::string(path) + "': " + reason);
    std::string relative = path.empty() ? std::string(".") : std::string(path);
    long fd = openat2Call(base, relative.c_str(), flags);
    if (fd < 0)
        return fromErrno(errno, path);
    Opened result;
    result.fd.reset(int(fd));
    if (fstat(result.fd.get(), &result.info) != 0)
        return failure(ErrorCode::Internal, "fstat() '" + std::string(path) + "': " + std::strerror(errno));
    return result;
}

Opened Jail::stat(std::string_view path) const { return openBeneath(m_root.get(), path, O_PATH); }

Opened Jail::statEntry(int directoryFd, const char *name) const
{
    return openBeneath(directoryFd, name, O_PATH);
}

Opened Jail::openFile(std::string_view path, bool knownRegular) const
{
    if (knownRegular) {
        Opened file = openBeneath(m_root.get(), path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (file.error != ErrorCode::Ok)
            return file;
        if (Opened refused = refuseUnlessRegular(path, file.info); refused.error != ErrorCode::Ok)
            return refused;
        return file;
    }
    Opened probe = stat(path);
    if (probe.error != ErrorCode::Ok)
        return probe;
    if (Opened refused = refuseUnlessRegular(path, probe.info); refused.error != ErrorCode::Ok)
        return refused;
    // O_NONBLOCK|O_NOCTTY: should the name have been swapped for a FIFO or device since the probe, the
    // open still cannot block or grab a terminal; the identity check below then refuses it.
    Opened file = openBeneath(m_root.get(), path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (file.error != ErrorCode::Ok)
        return file;
    if (!S_ISREG(file.info.st_mode) || file.info.st_ino != probe.info.st_ino || file.info.st_dev != probe.info.st_dev)
        return failure(ErrorCode::NotAFile, "'" + std::string(path) + "' changed while being opened");
    return file;
}

Opened Jail::openDirectory(std::string_view path) const
{
    Opened probe = stat(path);
    if (probe.error != ErrorCode::Ok)
        return probe;
    if (!S_ISDIR(probe.info.st_mode))
        return failure(ErrorCode::NotADirectory, "'" + std::string(path) + "' is not a directory");
    return openBeneath(m_root.get(), path, O_RDONLY | O_DIRECTORY);
}

} // namespace ferry::server
