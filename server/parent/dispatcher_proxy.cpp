// Dispatcher, the PROXY protocol step (--proxy-protocol, docs/SCALING.md): the very first thing read from
// a connection, before the TLS/plaintext sniff, under the same deadline as the first request. A balancer
// in --trusted-proxies must open each connection with a header naming the client, whose address from then
// on is the connection's peer: the per-address limit, the handoff to the worker, the scoreboard, the admin
// status and every log line see the client, not the balancer. Anyone else may not send a header: a
// client that could would choose the address it is logged under.
#include "parent/dispatcher.h"

#include "base/log.h"
#include "base/syscall.h"
#include "net/net.h"
#include "net/proxy_header.h"

#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace ferry::server {

bool Dispatcher::readProxyHeader(Connection &connection)
{
    // Peeked, not read: only the header's own bytes are taken off the socket, so what follows (a TLS
    // ClientHello a worker must read itself, or a Ferry HELLO) stays where the next step expects it.
    uint8_t peeked[proxy::MaxHeaderSize];
    const ssize_t got = retryOnEintr(
        [&] { return recv(connection.fd.get(), peeked, sizeof peeked, MSG_PEEK | MSG_DONTWAIT); });
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        connection.peerClosed = true;
        if (connection.proxyBegun)
            refuseProxy(connection, "the connection closed inside its PROXY protocol header");
        else
            finish(connection.id, std::nullopt); // e.g. a balancer's plain TCP check: nothing to say
        return false;
    }
    if (got < 0)
        return false; // nothing yet: the request timeout runs
    const proxy::Header header = proxy::parse({peeked, size_t(got)});
    const bool trusted = connection.proxy == ProxyStep::Expected;
    switch (header.verdict) {
    case proxy::Verdict::NeedMore:
        connection.proxyBegun = true;
        watchTriggered(connection, true); // the bytes wait unread: wake only when more arrive
        return false;
    case proxy::Verdict::Absent:
        if (trusted) {
            refuseProxy(connection, "a connection from a trusted proxy must open with a PROXY protocol header");
            return false;
        }
        connection.proxy = ProxyStep::Done; // a direct client, served as itself
        return watchTriggered(connection, false) && admitPeer(connection, formatHost(connection.address));
    case proxy::Verdict::Invalid: refuseProxy(connection, header.reason); return false;
    case proxy::Verdict::Proxied:
    case proxy::Verdict::Local: break;
    }
    if (!trusted) {
        refuseProxy(connection, "a PROXY protocol header from an address not in --trusted-proxies");
        return false;
    }
    const ssize_t taken = retryOnEintr([&] { return recv(connection.fd.get(), peeked, header.length, MSG_DONTWAIT); });
    if (taken != ssize_t(header.length)) {
        refuseProxy(connection, "reading its PROXY protocol header failed");
        return false;
    }
    connection.proxy = ProxyStep::Done;
    std::string host = formatHost(header.source);
    if (header.verdict == proxy::Verdict::Proxied) {
        LOG_DEBUG("connection %llu from %s is %s (PROXY v%d)", (unsigned long long)connection.id,
                  connection.peer.c_str(), formatAddress(header.source).c_str(), header.version);
        connection.peer = formatAddress(header.source);
    } else {
        host = formatHost(connection.address); // LOCAL: the balancer's own check, under its own address
    }
    return watchTriggered(connection, false) && admitPeer(connection, host, true);
}

void Dispatcher::refuseProxy(Connection &connection, const std::string &reason)
{
    // No frame: the peer is a balancer or someone posing as one, and whatever it relays has not been read.
    ++m_stats.badRequests;
    LOG_WARN("connection %llu from %s refused: %s", (unsigned long long)connection.id, connection.peer.c_str(),
             reason.c_str());
    finish(connection.id, std::nullopt);
}

bool Dispatcher::watchTriggered(Connection &connection, bool edge)
{
    const uint32_t events = EPOLLIN | EPOLLRDHUP | (edge ? uint32_t(EPOLLET) : 0);
    const uint64_t id = connection.id;
    const int fd = connection.fd.get();
    int error = 0;
    if (m_loop.isWatched(fd))
        error = m_loop.modify(fd, events);
    else if (edge) // level-triggered watching starts with the deadline (arm())
        error = m_loop.add(fd, events, [this, id](uint32_t) { onReadable(id); });
    if (error == 0)
        return true;
    LOG_ERROR("epoll_ctl() watching connection %llu from %s: %s; closing it", (unsigned long long)id,
              connection.peer.c_str(), std::strerror(error));
    finish(id, std::nullopt);
    return false;
}

} // namespace ferry::server
