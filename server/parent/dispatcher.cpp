// Dispatcher, the connections' life: their states, deadlines and watching, how one ends (finish(),
// forget()), and what the parent does with all of them at once (shutdown, disconnect, stats). The steps a
// connection goes through have a file each: dispatcher_accept, _proxy, _sniff, _intake, _handoff.
#include "parent/dispatcher.h"

#include "base/log.h"
#include "policy/exit_policy.h"

#include <cstring>
#include <sys/epoll.h>

namespace ferry::server {

namespace {

std::string seconds(Millis timeout) { return std::to_string(double(timeout.count()) / 1000.0).substr(0, 5) + " s"; }

} // namespace

DispatcherLimits limitsFrom(const Options &options)
{
    return {options.maxPending,  options.maxPerIp,      options.requestTimeout,
            options.idleTimeout, options.plaintext,     authCapability(options.anonymous),
            options.proxyProtocol, options.trustedProxies};
}

Dispatcher::Dispatcher(EventLoop &loop, Supervisor &supervisor, DispatcherLimits limits)
    : m_loop(loop), m_supervisor(supervisor), m_limits(limits), m_lingering(loop)
{
}

Dispatcher::~Dispatcher()
{
    stopAccepting();
    if (m_resumeTimer)
        m_loop.cancelTimer(m_resumeTimer);
    for (auto &[id, connection] : m_connections) {
        if (connection->timer)
            m_loop.cancelTimer(connection->timer);
        if (connection->fd)
            m_loop.remove(connection->fd.get());
    }
}

void Dispatcher::setState(Connection &connection, State state)
{
    const bool wasInWorker = connection.state == State::InWorker;
    connection.state = state;
    if (wasInWorker == (state == State::InWorker) || connection.host.empty())
        return;
    // A counted connection's address is in m_perHost until forget() counts it out.
    HostCount &count = m_perHost[connection.host];
    count.inWorkers = wasInWorker ? count.inWorkers - 1 : count.inWorkers + 1;
}

bool Dispatcher::watch(Connection &connection, State state, Millis timeout)
{
    setState(connection, state);
    return arm(connection, timeout);
}

bool Dispatcher::arm(Connection &connection, Millis timeout)
{
    uint64_t id = connection.id;
    if (connection.timer)
        m_loop.cancelTimer(connection.timer);
    connection.timer = m_loop.addTimer(timeout, [this, id] { onTimeout(id); });
    if (!connection.fd || m_loop.isWatched(connection.fd.get()))
        return true;
    if (int error = m_loop.add(connection.fd.get(), EPOLLIN | EPOLLRDHUP, [this, id](uint32_t) { onReadable(id); });
        error != 0) {
        LOG_ERROR("epoll_ctl() watching connection %llu from %s: %s; closing it", (unsigned long long)id,
                  connection.peer.c_str(), std::strerror(error));
        return false;
    }
    return true;
}

Dispatcher::Connection *Dispatcher::find(uint64_t id)
{
    auto it = m_connections.find(id);
    return it == m_connections.end() ? nullptr : it->second.get();
}

void Dispatcher::onTimeout(uint64_t id)
{
    Connection *connection = find(id);
    if (!connection)
        return;
    connection->timer = 0;
    if (connection->state == State::Admission) { // no close report came: BUSY, unless a place is free now
        retryAdmission(id);
        return;
    }
    ++m_stats.timedOut;
    switch (connection->state) {
    case State::Admission: return; // above
    case State::Handshake:
        if (connection->proxy == ProxyStep::Expected || connection->proxyBegun) {
            if (connection->proxyBegun)
                LOG_WARN("connection %llu from %s refused: its PROXY protocol header was incomplete after %s",
                         (unsigned long long)id, connection->peer.c_str(), seconds(m_limits.requestTimeout).c_str());
            finish(id, std::nullopt); // nothing of the client's has been read: no frame is owed
            return;
        }
        [[fallthrough]];
    case State::Waiting: {
        proto::Error error{proto::ErrorCode::Timeout, "no request within " + seconds(m_limits.requestTimeout)};
        finish(id, error);
        return;
    }
    case State::Parked: finish(id, std::nullopt); return; // a plain close: no answer is owed to an idle client
    case State::Pending: {
        proto::Busy busy{policy::retryAfterMs(uint32_t(m_pending.size()), m_supervisor.aliveCount()),
                         "no worker became free in time"};
        finish(id, busy);
        return;
    }
    case State::InWorker: return;
    }
}

void Dispatcher::finish(uint64_t id, std::optional<proto::Message> last)
{
    Connection *connection = find(id);
    if (connection && last) // every answer the parent ends a connection with is a refusal
        auditRefusal(*connection, *last);
    if (connection && (connection->wire == Wire::Tls || connection->wire == Wire::TlsHello))
        last.reset(); // a TLS client cannot read a plaintext frame: it sees the connection close
    if (connection && connection->fd && last && sendOwedWelcome(*connection)) // the handshake's answer first
        sendNow(*connection, *last);
    forget(id);
}

void Dispatcher::forget(uint64_t id)
{
    auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    Connection &connection = *it->second;
    if (connection.timer)
        m_loop.cancelTimer(connection.timer);
    if (connection.state != State::InWorker && m_tokens) // one in a worker is counted out there
        m_tokens->dropConnectionOf(connection.session.tokenSlot);
    if (connection.fd) {
        m_loop.remove(connection.fd.get());
        // After the client's FIN nothing more can arrive, so a plain close cannot turn into a reset;
        // lingering would only cost a shutdown() and a recv().
        if (connection.peerClosed)
            connection.fd.reset();
        else
            m_lingering.close(std::move(connection.fd));
    }
    if (connection.state == State::Admission)
        m_awaitingClose.erase(connection.waitHost);
    if (auto host = m_perHost.find(connection.host); host != m_perHost.end()) {
        host->second.inWorkers -= connection.state == State::InWorker ? 1 : 0;
        if (--host->second.open == 0)
            m_perHost.erase(host);
    }
    if (!connection.host.empty())
        closeReported(connection.host); // a place is free: a connection waiting for it may have it
    if (connection.state == State::Pending) // O(queue), bounded by --max-pending
        std::erase(m_pending, id);
    m_connections.erase(it);
}

void Dispatcher::shutdown()
{
    m_shuttingDown = true;
    stopAccepting();
    std::vector<uint64_t> ids;
    for (auto &[id, connection] : m_connections)
        if (connection->state != State::InWorker)
            ids.push_back(id);
    proto::Error error{proto::ErrorCode::ShuttingDown, "the server is shutting down"};
    for (uint64_t id : ids)
        finish(id, find(id)->state == State::Parked ? std::nullopt : std::optional<proto::Message>(error));
    m_pending.clear();
}

bool Dispatcher::disconnect(uint64_t connectionId)
{
    Connection *connection = find(connectionId);
    if (!connection)
        return false;
    if (connection->state == State::InWorker)
        return m_supervisor.abortConnection(connectionId);
    finish(connectionId, std::nullopt);
    return true;
}

DispatcherStats Dispatcher::stats() const
{
    DispatcherStats s = m_stats;
    for (const auto &[id, connection] : m_connections) {
        switch (connection->state) {
        case State::Admission:
        case State::Handshake:
        case State::Waiting: ++s.handshaking; break;
        case State::Parked: ++s.parked; break;
        case State::Pending: ++s.pending; break;
        case State::InWorker: ++s.inWorkers; break;
        }
    }
    s.open = uint32_t(m_connections.size());
    return s;
}

} // namespace ferry::server
