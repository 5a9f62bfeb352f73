#include "load_thread.h"

#include "base/syscall.h"

#include <cerrno>
#include <ctime>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <algorithm>
#include <system_error>

namespace ferry::bench {

namespace {

constexpr int MaxEvents = 256;
// How often in-flight requests are checked against the timeout.
constexpr uint64_t TimeoutScanNs = 100'000'000;

uint64_t indexOf(uint64_t data) { return data & 0xffffffffu; }
uint32_t generationOf(uint64_t data) { return static_cast<uint32_t>(data >> 32); }

} // namespace

uint64_t monotonicNs()
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

void Stats::merge(const Stats &other)
{
    requests += other.requests;
    bytes += other.bytes;
    bodyBytes += other.bodyBytes;
    connectErrors += other.connectErrors;
    readErrors += other.readErrors;
    protocolErrors += other.protocolErrors;
    busy += other.busy;
    serverErrors += other.serverErrors;
    timeouts += other.timeouts;
    tlsResumed += other.tlsResumed;
    if (tls.empty())
        tls = other.tls;
    latencyUs.merge(other.latencyUs);
}

LoadThread::LoadThread(const LoadPlan &plan, uint32_t connections, uint32_t firstPath, size_t readSize)
    : m_plan(plan), m_connections(connections), m_buffer(readSize), m_nextPath(firstPath)
{
    m_epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!m_epoll.isValid())
        throw std::system_error(errno, std::generic_category(), "epoll_create1()");
}

uint32_t LoadThread::nextPath()
{
    const auto count = static_cast<uint32_t>(m_plan.requests->getOnly.size());
    const uint32_t path = m_nextPath % count;
    m_nextPath = path + 1;
    return path;
}

bool LoadThread::finished() const
{
    return m_plan.maxRequests != 0 && m_stats.requests >= m_plan.maxRequests;
}

// Starts a non-blocking connect. Edge-triggered for both directions: the first EPOLLOUT
// says the connection is up (or failed), later EPOLLIN edges say an answer arrived, and
// no epoll_ctl is needed per request.
void LoadThread::open(uint32_t index)
{
    Connection &c = m_connections[index];
    closeConnection(c);
    c.fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    ++c.generation;
    c.requestSent = false;
    c.fresh = true;
    c.startNs = monotonicNs();
    if (!c.fd.isValid()) {
        ++m_stats.connectErrors;
        return; // retried by the timeout scan
    }
    const int one = 1;
    ::setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const auto *address = reinterpret_cast<const sockaddr *>(&m_plan.server);
    if (::connect(c.fd.get(), address, sizeof m_plan.server) != 0 && errno != EINPROGRESS) {
        fail(index, m_stats.connectErrors);
        return;
    }
    c.handshaken = m_plan.tls == nullptr;
    if (m_plan.tls && !(c.ssl = m_plan.tls->connect(c.fd.get()))) {
        fail(index, m_stats.connectErrors);
        return;
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLET;
    event.data.u64 = (static_cast<uint64_t>(c.generation) << 32) | index;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, c.fd.get(), &event) != 0)
        throw std::system_error(errno, std::generic_category(), "epoll_ctl(ADD) for a connection");
}

// A request is a few dozen bytes into an empty socket buffer: it is written whole or
// the connection is broken (a refused connect shows up here as ECONNREFUSED).
void LoadThread::sendRequest(uint32_t index, uint64_t nowNs)
{
    Connection &c = m_connections[index];
    const uint32_t path = nextPath();
    const auto &bytes = c.fresh ? m_plan.requests->helloAndGet[path] : m_plan.requests->getOnly[path];
    const ssize_t sent = c.ssl ? tlsWrite(c.ssl.get(), bytes.data(), bytes.size())
                               : ::send(c.fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(bytes.size())) {
        fail(index, c.fresh ? m_stats.connectErrors : m_stats.readErrors);
        return;
    }
    c.parser.reset(c.fresh);
    c.requestSent = true;
    c.startNs = nowNs;
}

void LoadThread::onEvent(uint32_t index, uint32_t events)
{
    Connection &c = m_connections[index];
    if (!c.handshaken) { // --tls: every edge may move the handshake on
        const TlsStep step = handshake(c.ssl.get());
        if (step == TlsStep::Failed)
            fail(index, m_stats.connectErrors);
        if (step != TlsStep::Done)
            return;
        c.handshaken = true;
        noteHandshake(c.ssl.get());
        sendRequest(index, monotonicNs());
        return;
    }
    if (!c.requestSent) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            sendRequest(index, monotonicNs());
        return; // an answer cannot come before the request
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        onReadable(index);
}

// Reads until a short read: with EPOLLET, data arriving later raises a new edge.
void LoadThread::onReadable(uint32_t index)
{
    const uint32_t generation = m_connections[index].generation;
    while (m_connections[index].generation == generation && m_connections[index].requestSent) {
        Connection &c = m_connections[index];
        const ssize_t got = receive(c);
        if (got > 0) {
            m_stats.bytes += static_cast<uint64_t>(got);
            if (!onOutcome(index, c.parser.feed(m_buffer.data(), static_cast<size_t>(got))))
                return;
            // A short read drained the socket; TLS hands out one record at a time, so it reads on
            // until "want read".
            if (!c.ssl && static_cast<size_t>(got) < m_buffer.size())
                return;
        } else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            fail(index, m_stats.readErrors); // EOF or reset in the middle of an answer
            return;
        }
    }
}

ssize_t LoadThread::receive(Connection &c)
{
    if (c.ssl)
        return tlsRead(c.ssl.get(), m_buffer.data(), m_buffer.size());
    return ::recv(c.fd.get(), m_buffer.data(), m_buffer.size(), 0);
}

void LoadThread::closeConnection(Connection &c)
{
    c.ssl.reset(); // the session first: it refers to the fd
    c.fd.reset();
}

void LoadThread::noteHandshake(SSL *ssl)
{
    if (m_stats.tls.empty())
        m_stats.tls = negotiated(ssl);
    m_stats.tlsResumed += resumed(ssl);
}

// Returns whether the same connection should keep reading.
bool LoadThread::onOutcome(uint32_t index, Outcome outcome)
{
    switch (outcome) {
    case Outcome::NeedMore:
        return true;
    case Outcome::Done:
        complete(index);
        return false;
    case Outcome::Busy:
        fail(index, m_stats.busy);
        return false;
    case Outcome::ServerError:
        fail(index, m_stats.serverErrors);
        return false;
    case Outcome::Protocol:
        fail(index, m_stats.protocolErrors);
        return false;
    }
    return false;
}

void LoadThread::complete(uint32_t index)
{
    Connection &c = m_connections[index];
    const uint64_t now = monotonicNs();
    ++m_stats.requests;
    m_stats.bodyBytes += c.parser.bodyBytes();
    m_stats.latencyUs.record((now - c.startNs) / 1000);
    if (finished())
        return;
    if (m_plan.newConnection) {
        open(index);
        return;
    }
    c.fresh = false;
    sendRequest(index, now);
}

// Counts the failure and starts over on a new connection, as wrk does.
void LoadThread::fail(uint32_t index, uint64_t &counter)
{
    ++counter;
    closeConnection(m_connections[index]);
    m_connections[index].requestSent = false;
    if (!finished())
        open(index);
}

void LoadThread::expireTimeouts(uint64_t nowNs)
{
    const auto limit = static_cast<uint64_t>(m_plan.timeout.count()) * 1'000'000u;
    for (uint32_t i = 0; i < m_connections.size(); ++i) {
        Connection &c = m_connections[i];
        if (!c.fd.isValid())
            open(i);
        else if (nowNs > c.startNs && nowNs - c.startNs > limit) // startNs may be newer than nowNs
            fail(i, m_stats.timeouts);
    }
}

void LoadThread::run()
{
    for (uint32_t i = 0; i < m_connections.size(); ++i)
        open(i);
    const auto deadlineNs = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(m_plan.deadline.time_since_epoch()).count());
    epoll_event events[MaxEvents];
    uint64_t nextScan = monotonicNs() + TimeoutScanNs;
    for (uint64_t now = monotonicNs(); now < deadlineNs && !finished(); now = monotonicNs()) {
        const auto waitMs = static_cast<int>(std::min(deadlineNs - now, TimeoutScanNs) / 1'000'000u) + 1;
        const int count = server::retryOnEintr([&] { return ::epoll_wait(m_epoll.get(), events, MaxEvents, waitMs); });
        if (count < 0)
            throw std::system_error(errno, std::generic_category(), "epoll_wait()");
        for (int i = 0; i < count && !finished(); ++i) {
            const auto index = static_cast<uint32_t>(indexOf(events[i].data.u64));
            if (generationOf(events[i].data.u64) == m_connections[index].generation)
                onEvent(index, events[i].events);
        }
        if (now >= nextScan) {
            expireTimeouts(now);
            nextScan = now + TimeoutScanNs;
        }
    }
    for (Connection &c : m_connections)
        closeConnection(c);
}

} // namespace ferry::bench
