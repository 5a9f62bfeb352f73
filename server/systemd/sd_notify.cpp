#include "systemd/sd_notify.h"

#include "base/unique_fd.h"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/socket.h>
#include <sys/un.h>

namespace ferry::systemd {

int notify(const std::string &state)
{
    const char *name = std::getenv("NOTIFY_SOCKET");
    if (!name || !*name)
        return 0;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const size_t length = std::strlen(name);
    if ((name[0] != '/' && name[0] != '@') || length >= sizeof address.sun_path)
        return EINVAL;
    std::memcpy(address.sun_path, name, length);
    if (name[0] == '@')
        address.sun_path[0] = '\0'; // abstract namespace
    server::UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return errno;
    const auto size = socklen_t(offsetof(sockaddr_un, sun_path) + length);
    if (::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr *>(&address),
                 size) < 0)
        return errno;
    return 0;
}

int notifyReady(const std::string &status)
{
    return notify("READY=1\nSTATUS=" + status);
}

int notifyReloading()
{
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const long long usec = (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    return notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\nSTATUS=reloading");
}

int notifyStopping()
{
    return notify("STOPPING=1\nSTATUS=stopping: letting running transfers finish");
}

} // namespace ferry::systemd
