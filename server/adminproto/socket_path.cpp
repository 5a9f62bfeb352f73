#include "adminproto/socket_path.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::admin {

using server::UniqueFd;

std::string defaultAdminSocketPath()
{
    if (::geteuid() == 0)
        return "/run/ferry/admin.sock";
    if (const char *runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime)
        return std::string(runtime) + "/ferry/admin.sock";
    return "/tmp/ferry-" + std::to_string(::geteuid()) + "/admin.sock";
}

bool fillAddress(const std::string &path, sockaddr_un &address)
{
    std::memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path)
        return false;
    std::memcpy(address.sun_path, path.data(), path.size());
    return true;
}

namespace {

std::string failure(const char *call, const std::string &path, int error)
{
    return std::string(call) + " on admin socket " + path + ": " + std::strerror(error);
}

std::string directoryOf(const std::string &path)
{
    const size_t slash = path.rfind('/');
    return slash == std::string::npos || slash == 0 ? std::string() : path.substr(0, slash);
}

// Makes the directory that holds the socket, 0700, if it does not exist (`created` says so). An existing
// directory is left as the administrator made it.
std::string ensureDirectory(const std::string &path, bool &created)
{
    created = false;
    const std::string dir = directoryOf(path);
    if (dir.empty())
        return {};
    struct stat st{};
    if (::stat(dir.c_str(), &st) == 0)
        return S_ISDIR(st.st_mode) ? std::string() : "admin socket directory " + dir + " is not a directory";
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return failure("mkdir()", dir, errno);
    created = true;
    return {};
}

// Opens the socket (and a directory made for it) to the admin group.
std::string shareWithGroup(const std::string &path, gid_t group, bool createdDirectory)
{
    if (::chown(path.c_str(), uid_t(-1), group) != 0 || ::chmod(path.c_str(), 0660) != 0)
        return failure("chown()/chmod() for the admin group", path, errno);
    const std::string dir = directoryOf(path);
    if (createdDirectory && (::chown(dir.c_str(), uid_t(-1), group) != 0 || ::chmod(dir.c_str(), 0750) != 0))
        return failure("chown()/chmod() for the admin group", dir, errno);
    return {};
}

// A socket file already there: a live server answers connect(), a stale one refuses and is removed.
std::string clearStaleSocket(const std::string &path, const sockaddr_un &address)
{
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0)
        return errno == ENOENT ? std::string() : failure("lstat()", path, errno);
    if (!S_ISSOCK(st.st_mode))
        return "admin socket path " + path + " exists and is not a socket";
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe)
        return failure("socket()", path, errno);
    if (::connect(probe.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0)
        return "admin socket " + path + " is in use by a running server";
    if (errno != ECONNREFUSED)
        return failure("connect() probing the existing", path, errno);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return failure("unlink() of the stale", path, errno);
    return {};
}

} // namespace

BoundSocket bindAdminSocket(const std::string &path, std::optional<gid_t> adminGroup)
{
    bool createdDirectory = false;
    BoundSocket result;
    sockaddr_un address{};
    if (!fillAddress(path, address)) {
        result.error = "admin socket path '" + path + "' is empty or longer than " +
            std::to_string(sizeof address.sun_path - 1) + " bytes";
        return result;
    }
    if (result.error = ensureDirectory(path, createdDirectory); !result.error.empty())
        return result;
    if (result.error = clearStaleSocket(path, address); !result.error.empty())
        return result;
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
        result.error = failure("socket()", path, errno);
        return result;
    }
    // The umask makes the file 0600 from its first moment, so no other user can connect in between.
    const mode_t oldMask = ::umask(0177);
    const int bound = ::bind(fd.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address);
    const int bindError = errno;
    ::umask(oldMask);
    if (bound != 0) {
        result.error = failure("bind()", path, bindError);
        return result;
    }
    if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd.get(), 16) != 0) {
        result.error = failure("chmod()/listen()", path, errno);
        ::unlink(path.c_str());
        return result;
    }
    if (adminGroup) {
        if (result.error = shareWithGroup(path, *adminGroup, createdDirectory); !result.error.empty()) {
            ::unlink(path.c_str());
            return result;
        }
    }
    result.fd = std::move(fd);
    return result;
}

} // namespace ferry::admin
