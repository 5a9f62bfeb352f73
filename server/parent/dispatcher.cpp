// Dispatcher: connections the parent holds, from handshake to a worker and back.
#include "parent/dispatcher.h"

#include "base/log.h"
#include "policy/exit_policy.h"
#include "net/wire_errors.h"
#include "base/syscall.h"

#include <cerrno>
#include <cstring>
#include <sys/epoll.h>

namespace ferry::server {

namespace {

std::string seconds(Millis timeout) { return std::to_string(double(timeout.count()) / 1000.0).substr(0, 5) + " s"; }

bool isClientRequest(const proto::Message &message)
{
    return std::holds_alternative<proto::ListRequest>(message) || std::holds_alternative<proto::StatRequest>(message)
           || std::holds_alternative<proto::GetRequest>(message)
           || std::holds_alternative<proto::DigestRequest>(message)
           || std::holds_alternative<proto::AuthRequest>(message)        // a version 1 connection's worker
           || std::holds_alternative<proto::ManifestRequest>(message)    // refuses these three; a version 2
           || std::holds_alternative<proto::Bye>(message);               // one's closes after BYE
}

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

void Dispatcher::onReadable(uint64_t id)
{
    Connection *connection = find(id);
    if (!connection || !connection->fd)
        return;
    if (connection->proxy != ProxyStep::Done && !readProxyHeader(*connection))
        return;
    // With --plaintext only no TLS is ever handed on unread, so nothing needs peeking at: the first read
    // is judged instead (readPlaintextOnly()), one recv() per connection instead of two.
    const bool peek = m_limits.plaintext != PlaintextPolicy::Only;
    if (peek && (connection->wire == Wire::Unknown || connection->wire == Wire::TlsHello) && !sniff(*connection))
        return;
    uint8_t buffer[16 * 1024];
    const ssize_t got =
        retryOnEintr([&] { return recv(connection->fd.get(), buffer, sizeof buffer, MSG_DONTWAIT); });
    if (got > 0 && connection->wire == Wire::Unknown && !judgeFirstRead(*connection, buffer[0]))
        return;
    if (got > 0)
        connection->decoder.feed({buffer, size_t(got)});
    else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        connection->peerClosed = true;
    decodeBuffered(*connection);
}

void Dispatcher::decodeBuffered(Connection &connection)
{
    uint64_t id = connection.id;
    for (;;) {
        proto::DecodeResult result = connection.decoder.next();
        if (auto *message = std::get_if<proto::Message>(&result)) {
            if (!onMessage(connection, std::move(*message)))
                return; // dispatched, queued or closed
            continue;
        }
        if (std::holds_alternative<proto::NeedMore>(result)) {
            if (!sendOwedWelcome(connection) || connection.peerClosed)
                finish(id, std::nullopt);
            return;
        }
        ++m_stats.badRequests;
        proto::Error error{proto::ErrorCode::BadRequest, "a client never sends a body"};
        if (auto *decodeError = std::get_if<proto::DecodeError>(&result)) {
            error.code = proto::errorCodeFor(*decodeError);
            error.message = describeDecodeError(*decodeError);
        }
        finish(id, error);
        return;
    }
}

bool Dispatcher::onMessage(Connection &connection, proto::Message &&message)
{
    uint64_t id = connection.id;
    if (auto *hello = std::get_if<proto::Hello>(&message)) {
        uint16_t &version = connection.session.protocolVersion;
        if (version != 0 && version != hello->version) { // the first HELLO fixed the version (PROTOCOL.md §10)
            finish(id, proto::Error{proto::ErrorCode::UnsupportedVersion,
                                    "this connection speaks protocol version " + std::to_string(version)});
            return false;
        }
        version = hello->version;
        // Answered once we know whether a request came with it (see sendOwedWelcome()).
        if (!sendOwedWelcome(connection)) { // a second HELLO in a row: the first one's answer goes first
            finish(id, std::nullopt);
            return false;
        }
        connection.welcomeOwed = true;
        if (connection.state == State::Handshake)
            setState(connection, State::Waiting); // the request deadline keeps counting from accept
        return true;
    }
    if (connection.state == State::Handshake || !isClientRequest(message)) {
        ++m_stats.badRequests;
        proto::Error error{proto::ErrorCode::BadRequest, connection.state == State::Handshake
                                                             ? "the first message must be HELLO"
                                                             : "a client may not send this message type"};
        finish(id, error);
        return false;
    }
    connection.request = proto::encode(message);
    std::vector<uint8_t> rest = connection.decoder.takeBuffered();
    connection.request.insert(connection.request.end(), rest.begin(), rest.end());
    dispatchOrQueue(connection);
    return false;
}

void Dispatcher::dispatchOrQueue(Connection &connection)
{
    m_loop.remove(connection.fd.get());
    if (connection.timer) {
        m_loop.cancelTimer(connection.timer);
        connection.timer = 0;
    }
    if (m_shuttingDown) {
        proto::Error error{proto::ErrorCode::ShuttingDown, "the server is shutting down"};
        finish(connection.id, error);
        return;
    }
    if (m_pending.empty() && tryDispatch(connection))
        return;
    if (!sendOwedWelcome(connection)) { // it waits: tell it now that it is connected
        finish(connection.id, std::nullopt);
        return;
    }
    if (m_pending.size() < m_limits.maxPending) {
        setState(connection, State::Pending);
        m_pending.push_back(connection.id);
        m_stats.maxPendingSeen = std::max<uint32_t>(m_stats.maxPendingSeen, uint32_t(m_pending.size()));
        uint64_t id = connection.id;
        connection.timer = m_loop.addTimer(m_limits.requestTimeout, [this, id] { onTimeout(id); });
        return;
    }
    ++m_stats.rejectedBusy;
    proto::Busy busy{policy::retryAfterMs(uint32_t(m_pending.size()), m_supervisor.aliveCount()),
                     "all workers are busy"};
    finish(connection.id, busy);
}

bool Dispatcher::tryDispatch(Connection &connection)
{
    HandoffMessage message;
    message.kind = connection.wire == Wire::Tls ? HandoffKind::DispatchTls : HandoffKind::Dispatch;
    message.connectionId = connection.id;
    message.peer = connection.peer;
    message.session = connection.session;
    if (connection.wire == Wire::Tls) // one request timeout from accept for ClientHello, handshake and request
        message.deadlineNs = connection.acceptedNs + int64_t(m_limits.requestTimeout.count()) * 1'000'000;
    if (connection.welcomeOwed) {
        // HELLO and the first request arrived together: the worker answers both in one write, one TCP
        // segment for the client to wake up for instead of two (it answers a repeated HELLO alike).
        proto::encode(proto::Hello{connection.session.protocolVersion, ""}, message.bytes);
    }
    message.bytes.insert(message.bytes.end(), connection.request.begin(), connection.request.end());
    message.fd = std::move(connection.fd);
    if (m_supervisor.dispatch(std::move(message)) >= 0) {
        setState(connection, State::InWorker);
        connection.welcomeOwed = false;
        connection.request.clear();
        return true; // the worker owns the connection now (or will, once the held batch is sent)
    }
    connection.fd = std::move(message.fd);
    return false;
}

void Dispatcher::onUndelivered(HandoffMessage &&message)
{
    Connection *connection = find(message.connectionId);
    if (!connection) {
        m_lingering.close(std::move(message.fd));
        return;
    }
    // As it was dispatched: the bytes hold the HELLO (if one is owed an answer) and the request, which
    // the next worker answers. It goes first in the queue, to be sent when a worker is free.
    connection->fd = std::move(message.fd);
    connection->request = std::move(message.bytes);
    connection->welcomeOwed = false;
    setState(*connection, State::Pending);
    m_pending.push_front(connection->id);
    uint64_t id = connection->id;
    connection->timer = m_loop.addTimer(m_limits.requestTimeout, [this, id] { onTimeout(id); });
}

void Dispatcher::onWorkerAvailable()
{
    while (!m_pending.empty() && m_supervisor.availableCount() > 0) {
        Connection *connection = find(m_pending.front());
        m_pending.pop_front();
        if (!connection || connection->state != State::Pending)
            continue;
        if (connection->timer) {
            m_loop.cancelTimer(connection->timer);
            connection->timer = 0;
        }
        if (!tryDispatch(*connection)) {
            m_pending.push_front(connection->id);
            uint64_t id = connection->id;
            connection->timer = m_loop.addTimer(m_limits.requestTimeout, [this, id] { onTimeout(id); });
            break;
        }
    }
}

void Dispatcher::onReturned(HandoffMessage &&message)
{
    Connection *connection = find(message.connectionId);
    if (!connection || message.kind == HandoffKind::Done || m_shuttingDown) {
        if (message.fd)
            m_lingering.close(std::move(message.fd));
        if (connection)
            forget(message.connectionId);
        return;
    }
    connection->fd = std::move(message.fd);
    connection->session = message.session;
    if (connection->wire == Wire::Tls) { // handed back unread by a worker that could not take it
        dispatchOrQueue(*connection);
        return;
    }
    connection->decoder = proto::Decoder(MaxRequestPayload);
    connection->peerClosed = false;
    if (!watch(*connection, State::Parked, m_limits.idleTimeout)) {
        finish(message.connectionId, std::nullopt);
        return;
    }
    if (!message.bytes.empty()) {
        connection->decoder.feed(message.bytes);
        decodeBuffered(*connection); // a worker told to stop may hand back a request it did not serve
    }
}

void Dispatcher::onLost(uint64_t connectionId)
{
    LOG_INFO("connection %llu lost with its worker", (unsigned long long)connectionId);
    if (Connection *connection = find(connectionId); connection && m_tokens) // its worker cannot count it out
        m_tokens->dropConnectionOf(connection->session.tokenSlot);
    forget(connectionId);
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

bool Dispatcher::sendOwedWelcome(Connection &connection)
{
    if (!connection.welcomeOwed)
        return true;
    connection.welcomeOwed = false;
    // Plaintext: the parent never sees a TLS connection's HELLO.
    return sendNow(connection, serverWelcome(connection.session.protocolVersion, false, m_limits.authCapability));
}

bool Dispatcher::sendNow(Connection &connection, const proto::Message &message)
{
    // Only small frames go out from the parent, into a socket buffer that holds far more; a client that
    // has not read the few bytes before is not worth waiting for.
    std::vector<uint8_t> frame = proto::encode(message);
    const ssize_t sent = retryOnEintr(
        [&] { return ::send(connection.fd.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL); });
    return sent == ssize_t(frame.size());
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
