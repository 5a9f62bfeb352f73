#include "net/net.h"

#include "base/config_error.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>

namespace ferry::server {

std::string formatHost(const sockaddr_storage &address)
{
    char text[INET6_ADDRSTRLEN] = "?";
    if (address.ss_family == AF_INET) {
        auto *v4 = reinterpret_cast<const sockaddr_in *>(&address);
        inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    } else if (address.ss_family == AF_INET6) {
        auto *v6 = reinterpret_cast<const sockaddr_in6 *>(&address);
        inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    }
    return text;
}

std::string formatAddress(const sockaddr_storage &address)
{
    uint16_t port = 0;
    if (address.ss_family == AF_INET)
        port = ntohs(reinterpret_cast<const sockaddr_in *>(&address)->sin_port);
    else if (address.ss_family == AF_INET6)
        port = ntohs(reinterpret_cast<const sockaddr_in6 *>(&address)->sin6_port);
    std::string host = formatHost(address);
    if (address.ss_family == AF_INET6)
        host = "[" + host + "]";
    return host + ":" + std::to_string(port);
}

namespace {

void splitHostPort(const std::string &hostPort, std::string &host, std::string &port)
{
    size_t colon = hostPort.rfind(':');
    if (colon == std::string::npos || colon + 1 == hostPort.size())
        throw ConfigError("invalid listen address '" + hostPort + "': expected HOST:PORT");
    host = hostPort.substr(0, colon);
    port = hostPort.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.empty() || host == "*")
        host = "0.0.0.0";
}

UniqueFd bindOne(const addrinfo &info, const std::string &hostPort)
{
    UniqueFd fd(socket(info.ai_family, info.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, info.ai_protocol));
    if (!fd)
        throw ConfigError("socket() for " + hostPort + ": " + std::strerror(errno));
    int on = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    // Responses are whole frames; Nagle would hold a BODY_END back for a delayed ACK. Set once here:
    // Linux copies TCP_NODELAY from the listener to every accepted socket, saving a call per connection.
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    // Not TCP_DEFER_ACCEPT, though it saves about a tenth of the parent's CPU per short connection
    // (docs/PERFORMANCE.md): a client that has not spoken yet would stay in the kernel's queue, out of
    // reach of the BUSY it is owed at once (per-address limit, drain) and of SHUTTING_DOWN on SIGTERM.
    if (bind(fd.get(), info.ai_addr, info.ai_addrlen) != 0)
        throw ConfigError("cannot bind " + hostPort + ": " + std::strerror(errno));
    // As deep as the kernel allows (it clamps to net.core.somaxconn, 4096 by default since Linux 5.4): a
    // burst of new connections waits in this queue for the one accepting parent, and when it overflows
    // the kernel drops the client's ACK, so the client's first request waits for a retransmission.
    if (listen(fd.get(), 4096) != 0)
        throw ConfigError("listen() on " + hostPort + ": " + std::strerror(errno));
    return fd;
}

} // namespace

Listener openListener(const std::string &hostPort)
{
    std::string host, port;
    splitHostPort(hostPort, host, port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo *found = nullptr;
    if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
        throw ConfigError("invalid listen address '" + hostPort + "': " + gai_strerror(rc));
    Listener listener;
    try {
        listener.fd = bindOne(*found, hostPort);
    } catch (...) {
        freeaddrinfo(found);
        throw;
    }
    freeaddrinfo(found);
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    getsockname(listener.fd.get(), reinterpret_cast<sockaddr *>(&bound), &length);
    listener.address = formatAddress(bound);
    return listener;
}

void raiseFdLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

} // namespace ferry::server
