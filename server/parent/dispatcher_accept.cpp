// Dispatcher, the accepting side: the listening socket, admission (drain, per-address limit).
#include "parent/dispatcher.h"

#include "base/clock.h"
#include "base/cidr.h"
#include "base/log.h"
#include "net/net.h"
#include "base/syscall.h"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>

namespace ferry::server {

void Dispatcher::startAccepting(int listenFd)
{
    m_listenFd = listenFd;
    if (m_accepting || m_shuttingDown)
        return;
    if (int error = m_loop.add(listenFd, EPOLLIN, [this](uint32_t) { onAcceptable(); }); error != 0) {
        LOG_ERROR("epoll_ctl() adding the listening socket: %s", std::strerror(error));
        return;
    }
    m_accepting = true;
}

void Dispatcher::stopAccepting()
{
    if (m_accepting)
        m_loop.remove(m_listenFd);
    m_accepting = false;
}

void Dispatcher::onAcceptable()
{
    // The connections of one wake-up reach each worker in one message (supervisor_batch.cpp).
    m_supervisor.holdDispatches();
    acceptSome();
    m_supervisor.flushDispatches();
}

void Dispatcher::acceptSome()
{
    // Bounded per wake-up so a flood of connections cannot starve workers' messages and timers.
    for (int i = 0; i < 64; ++i) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        const int fd = retryOnEintr([&] {
            return accept4(m_listenFd, reinterpret_cast<sockaddr *>(&address), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        });
        if (fd >= 0) {
            admit(UniqueFd(fd), address);
            continue;
        }
        if (errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            // Out of fds or memory: the backlog stays readable, so pause accepting briefly instead of spinning.
            LOG_WARN("accept4(): %s; pausing accepts for 100 ms", std::strerror(errno));
            stopAccepting();
            if (m_resumeTimer == 0)
                m_resumeTimer = m_loop.addTimer(Millis(100), [this] {
                    m_resumeTimer = 0;
                    if (!m_shuttingDown)
                        startAccepting(m_listenFd);
                });
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            LOG_ERROR("accept4(): %s", std::strerror(errno));
        }
        return;
    }
}

void Dispatcher::turnAway(UniqueFd fd, const proto::Busy &busy)
{
    // In place of WELCOME, before reading anything: the socket buffer of a fresh connection takes the
    // few bytes at once, and the lingering close keeps the client's HELLO from turning it into a reset.
    std::vector<uint8_t> frame = proto::encode(busy);
    [[maybe_unused]] const ssize_t sent = retryOnEintr(
        [&] { return ::send(fd.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL); });
    m_lingering.close(std::move(fd));
}

void Dispatcher::admit(UniqueFd fd, const sockaddr_storage &address)
{
    ++m_stats.accepted;
    if (m_paused) {
        ++m_stats.rejectedDraining;
        proto::Busy busy{DrainRetryAfterMs, "the server is draining: not taking new connections"};
        auditTurnedAway(formatAddress(address));
        turnAway(std::move(fd), busy);
        return;
    }
    // TCP_NODELAY is inherited from the listener (see bindOne() in net.cpp).
    auto owned = std::make_unique<Connection>();
    Connection &connection = *owned;
    connection.id = m_nextId++;
    connection.acceptedNs = monotonicNs();
    connection.peer = formatAddress(address);
    connection.address = address;
    connection.fd = std::move(fd);
    if (m_limits.proxyProtocol) // the limit waits for the client's address (readProxyHeader())
        connection.proxy = anyContains(m_limits.trustedProxies, address) ? ProxyStep::Expected : ProxyStep::Forbidden;
    uint64_t id = connection.id;
    m_connections.emplace(id, std::move(owned));
    if (connection.proxy == ProxyStep::Done && !admitPeer(connection, formatHost(address), true))
        return;
    beginIntake(id);
}

void Dispatcher::beginIntake(uint64_t id)
{
    Connection *connection = find(id);
    LOG_DEBUG("connection %llu from %s accepted", (unsigned long long)id, connection->peer.c_str());
    // A client usually sends HELLO (and its first request) right after connecting: read before watching,
    // and a fast client is dispatched without ever entering the epoll set.
    onReadable(id);
    if (Connection *waiting = find(id);
        waiting && (waiting->state == State::Handshake || waiting->state == State::Waiting))
        if (!arm(*waiting, m_limits.requestTimeout))
            finish(id, std::nullopt);
}

bool Dispatcher::admitPeer(Connection &connection, const std::string &host, bool mayWait)
{
    if (m_limits.maxPerIp != 0 && m_perHost[host].open >= m_limits.maxPerIp)
        reclaimClosed(host); // may forget connections of `host`, and its entry with them
    HostCount &count = m_perHost[host];
    if (m_limits.maxPerIp != 0 && count.open >= m_limits.maxPerIp) {
        if (mayWait && awaitCloseReport(connection, host))
            return false;
        ++m_stats.rejectedPerIp;
        m_loop.remove(connection.fd.get()); // watched already if a PROXY header came first
        auditTurnedAway(connection.peer);
        turnAway(std::move(connection.fd), proto::Busy{1000, "too many connections from " + host});
        forget(connection.id);
        return false;
    }
    ++count.open;
    connection.host = host;
    return true;
}

bool Dispatcher::awaitCloseReport(Connection &connection, const std::string &host)
{
    // A worker closes a connection first and reports it at the end of its loop turn, so its client can
    // see the close and connect again before the report is here. Refused now, such a client would be
    // told BUSY for a connection it no longer has: it waits for the report (up to CloseReportWait)
    // instead, while this address has a connection inside a worker. One waits per address at most, so a
    // client that really is over its limit still gets BUSY at once for the others.
    if (m_awaitingClose.count(host) != 0)
        return false;
    if (const auto counted = m_perHost.find(host); counted == m_perHost.end() || counted->second.inWorkers == 0)
        return false;
    const uint64_t id = connection.id;
    setState(connection, State::Admission);
    connection.waitHost = host;
    // Behind a balancer the address came in a PROXY header, so the connection is watched and under its
    // request deadline already. The wait reads nothing: unwatched, what the client sent after the header
    // cannot wake the loop over and over, and beginIntake() watches it again with a fresh deadline.
    if (connection.timer)
        m_loop.cancelTimer(connection.timer);
    m_loop.remove(connection.fd.get());
    connection.timer = m_loop.addTimer(CloseReportWait, [this, id] { onTimeout(id); });
    m_awaitingClose.emplace(host, id);
    return true;
}

void Dispatcher::closeReported(const std::string &host)
{
    if (m_awaitingClose.empty()) // every close passes here: nothing to hash when nobody waits
        return;
    auto waiting = m_awaitingClose.find(host);
    Connection *connection = waiting == m_awaitingClose.end() ? nullptr : find(waiting->second);
    if (!connection)
        return;
    // Its deadline, brought forward to the loop's next turn: this runs inside forget(), whose callers are
    // in the middle of something; onTimeout() then retries the admission.
    const uint64_t id = connection->id;
    m_loop.cancelTimer(connection->timer);
    connection->timer = m_loop.addTimer(Millis(0), [this, id] { onTimeout(id); });
}

void Dispatcher::retryAdmission(uint64_t id)
{
    Connection *connection = find(id);
    if (!connection || connection->state != State::Admission)
        return;
    const std::string host = connection->waitHost;
    m_awaitingClose.erase(host);
    if (connection->timer)
        m_loop.cancelTimer(connection->timer);
    connection->timer = 0;
    setState(*connection, State::Handshake);
    if (admitPeer(*connection, host)) // once: a place taken meanwhile by another is a BUSY, as without the wait
        beginIntake(id);
}

void Dispatcher::reclaimClosed(const std::string &host)
{
    // A client that closes and reconnects at once can be accepted before its close is read from the
    // epoll set: look for such closes among this address's idle connections before refusing it.
    // Costs a pass over the connections, and only when an address is at its limit.
    std::vector<uint64_t> closed;
    for (const auto &[id, connection] : m_connections) {
        if (connection->host != host || !connection->fd || connection->state == State::Pending)
            continue;
        char byte;
        if (retryOnEintr([&] { return recv(connection->fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT); }) == 0)
            closed.push_back(id);
    }
    for (uint64_t id : closed)
        finish(id, std::nullopt);
}

void Dispatcher::pause(bool paused)
{
    // Accepting goes on while paused: a new client is answered BUSY at once (admit()) instead of waiting
    // in the kernel's backlog for a WELCOME that would come only after resume, or after its own timeout.
    m_paused = paused;
}

} // namespace ferry::server
