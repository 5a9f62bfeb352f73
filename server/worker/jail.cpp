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

Opened fromErrno(int error, const std::string &shown)
{
    switch (error) {
    case ENOENT:
    case ENOTDIR: return failure(ErrorCode::NotFound, shown + " does not exist");
    case EXDEV: // RESOLVE_BENEATH: client paths hold no "..", so a symbolic link on the way did this
        return failure(ErrorCode::Forbidden, shown + " goes through a symbolic link that leads out of the served "
                                                     "tree or has an absolute target (only relative links that "
                                                     "stay inside are followed)");
    case ELOOP: return failure(ErrorCode::Forbidden, shown + ": too many levels of symbolic links (a loop?)");
    case EACCES:
    case EPERM: return failure(ErrorCode::Forbidden, shown + " is not readable by the server");
    case ENAMETOOLONG:
        return failure(ErrorCode::Forbidden, shown + " is too long once its symbolic links are followed");
    default: return failure(ErrorCode::Internal, "openat2() " + shown + ": " + std::strerror(error));
    }
}

// NotAFile for anything but a regular file; Ok (no fd) for a regular file.
Opened refuseUnlessRegular(const std::string &shown, const struct stat &info)
{
    if (S_ISREG(info.st_mode))
        return {};
    return failure(ErrorCode::NotAFile, shown + (S_ISDIR(info.st_mode) ? " is a directory" : " is not a regular file"));
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
        return refuse("path longer than 4096 bytes");
    if (path.find('\0') != std::string_view::npos)
        return refuse("NUL byte in path");
    if (!path.empty() && path.front() == '/')
        return refuse("absolute paths are not allowed");
    // Every component is checked before a name's length may answer NOT_FOUND: a path that is forbidden
    // anywhere gets FORBIDDEN, whatever else it holds.
    bool nameTooLong = false;
    size_t begin = 0;
    while (begin <= path.size()) {
        size_t end = path.find('/', begin);
        if (end == std::string_view::npos)
            end = path.size();
        std::string_view component = path.substr(begin, end - begin);
        nameTooLong = nameTooLong || component.size() > NAME_MAX;
        if (component == "." || component == "..")
            return refuse("'.' and '..' are not allowed in paths");
        if (!component.empty() && component.front() == '.' && !m_showHidden)
            return refuse("hidden files are not served");
        begin = end + 1;
    }
    if (nameTooLong) { // no file system here holds such a name, so nothing by that name exists
        if (reason)
            *reason = "no such file (a name in it is longer than 255 bytes)";
        return ErrorCode::NotFound;
    }
    return ErrorCode::Ok;
}

Opened Jail::openBeneath(int base, std::string_view path, uint64_t flags) const
{
    std::string reason;
    if (ErrorCode refused = check(path, &reason); refused != ErrorCode::Ok)
        return failure(refused, shown(path) + ": " + reason);
    std::string relative = path.empty() ? std::string(".") : std::string(path);
    // The kernel resolves at most PATH_MAX - 1 (4095) bytes in one call, yet a path may be 4096 bytes long
    // (MaxPathLength). Such a path is opened in two steps, each beneath the last: the directory that holds
    // its tail, then the tail. A symbolic link in that tail is confined beneath that directory rather than
    // the root: stricter, and only for paths this long.
    UniqueFd step;
    if (relative.size() >= PATH_MAX) {
        const size_t cut = relative.rfind('/', PATH_MAX - 2);
        if (cut == std::string::npos) // not reached: check() keeps every name within NAME_MAX
            return fromErrno(ENAMETOOLONG, shown(path));
        const long directory = openat2Call(base, relative.substr(0, cut).c_str(), O_PATH | O_DIRECTORY);
        if (directory < 0)
            return fromErrno(errno, shown(path));
        step.reset(int(directory));
        base = step.get();
        relative.erase(0, cut + 1);
    }
    long fd = openat2Call(base, relative.c_str(), flags);
    if (fd < 0)
        return fromErrno(errno, shown(path));
    Opened result;
    result.fd.reset(int(fd));
    if (fstat(result.fd.get(), &result.info) != 0)
        return failure(ErrorCode::Internal, "fstat() " + shown(path) + ": " + std::strerror(errno));
    return result;
}

std::string Jail::shown(std::string_view path) const
{
    return "'" + m_shownPrefix + std::string(path) + "'";
}

std::optional<Jail> Jail::beneath(const std::string &subtree, Opened &refusal) const
{
    Opened directory = openBeneath(m_root.get(), subtree, O_PATH | O_DIRECTORY);
    if (directory.error == ErrorCode::NotFound && directory.message.find("does not exist") != std::string::npos) {
        // O_DIRECTORY says ENOTDIR for a file, which reads "does not exist": tell the two apart.
        Opened what = stat(subtree);
        if (what.error == ErrorCode::Ok && !S_ISDIR(what.info.st_mode))
            directory = failure(ErrorCode::NotADirectory, shown(subtree) + " is not a directory");
    }
    if (directory.error != ErrorCode::Ok) {
        refusal = std::move(directory);
        return std::nullopt;
    }
    return Jail(std::move(directory.fd), m_showHidden, m_shownPrefix + subtree + "/");
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
        if (Opened refused = refuseUnlessRegular(shown(path), file.info); refused.error != ErrorCode::Ok)
            return refused;
        return file;
    }
    Opened probe = stat(path);
    if (probe.error != ErrorCode::Ok)
        return probe;
    if (Opened refused = refuseUnlessRegular(shown(path), probe.info); refused.error != ErrorCode::Ok)
        return refused;
    // O_NONBLOCK|O_NOCTTY: should the name have been swapped for a FIFO or device since the probe, the
    // open still cannot block or grab a terminal; the identity check below then refuses it.
    Opened file = openBeneath(m_root.get(), path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (file.error != ErrorCode::Ok)
        return file;
    if (!S_ISREG(file.info.st_mode) || file.info.st_ino != probe.info.st_ino || file.info.st_dev != probe.info.st_dev)
        return failure(ErrorCode::NotAFile, shown(path) + " changed while being opened");
    return file;
}

Opened Jail::openDirectory(std::string_view path) const
{
    Opened probe = stat(path);
    if (probe.error != ErrorCode::Ok)
        return probe;
    if (!S_ISDIR(probe.info.st_mode))
        return failure(ErrorCode::NotADirectory, shown(path) + " is not a directory");
    return openBeneath(m_root.get(), path, O_RDONLY | O_DIRECTORY);
}

} // namespace ferry::server
