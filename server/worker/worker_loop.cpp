#include "worker/worker_loop.h"

#include "base/log.h"
#include "net/wire_errors.h"
#include "base/syscall.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace ferry::server {

namespace {

// How long a connection stays in the worker after its last answer without a new request. It must outlast
// a busy client's pause between answer and next request, even on a loaded machine (a few ms), so that a
// kept-alive stream of requests never goes through the parent; a connection quiet for longer is parked,
// where the parent's idle timeout watches it at no cost to any worker.
constexpr int64_t HoldIdleNs = 20'000'000;
// Requests served from one connection before the others get their turn (a client pipelining without
// pause must not starve the rest).
constexpr int RequestsPerTurn = 16;
constexpr uint64_t ChannelKey = 0; // epoll key of the parent's channel; connection ids start at 1
constexpr int MaxEvents = 64;

} // namespace

WorkerLoop::WorkerLoop(WorkerContext &context)
    : m_context(context), m_slot(context.scoreboard->slot(context.slotIndex)),
      m_control(context.scoreboard->control()), m_handler(*context.jail, m_slot, m_control)
{
}

int WorkerLoop::run()
{
    m_epoll.reset(epoll_create1(EPOLL_CLOEXEC));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = ChannelKey;
    if (!m_epoll || epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, m_context.channel.get(), &event) != 0) {
        LOG_ERROR("worker %u: epoll for the parent's channel: %s", m_context.slotIndex, std::strerror(errno));
        return WorkerExit::Error;
    }
    showIdle();
    while (waitAndServe()) {
    }
    if (!m_broken)
        showStopping(); // told to stop: what it holds goes back to the parent, then it exits
    releaseAll(m_broken ? Turn::Close : Turn::Park);
    return m_broken ? WorkerExit::Error : WorkerExit::Normal;
}

bool WorkerLoop::isStopping() const
{
    return m_parentGone || m_slot.stopRequested.load(std::memory_order_relaxed);
}

bool WorkerLoop::shouldHandBack() const
{
    return m_control.draining.load(std::memory_order_relaxed)
           || m_control.generation.load(std::memory_order_relaxed) != m_context.generation;
}

bool WorkerLoop::waitAndServe()
{
    if (m_broken || isStopping())
        return false;
    if (shouldHandBack())
        releaseAll(Turn::Park);
    honourAbort();
    expireQuiet();
    showIdle();
    epoll_event events[MaxEvents];
    const int count = retryOnEintr([&] { return epoll_wait(m_epoll.get(), events, MaxEvents, waitTimeoutMs()); });
    if (count < 0) {
        LOG_ERROR("worker %u: epoll_wait(): %s", m_context.slotIndex, std::strerror(errno));
        m_broken = true;
        return false;
    }
    m_served.clear();
    for (int i = 0; i < count; ++i) {
        uint64_t id = events[i].data.u64;
        if (id == ChannelKey) {
            if (!receiveFromParent())
                return false;
            continue;
        }
        auto it = m_connections.find(id);
        if (it == m_connections.end())
            continue; // an event queued before the connection was released
        it->second->again = false;
        settle(id, serveTurn(*it->second, true));
        m_served.push_back(id);
    }
    serveLeftovers();
    return !m_broken;
}

void WorkerLoop::serveLeftovers()
{
    // Connections whose last turn ended with requests still buffered: the kernel will not report them.
    // Those served just now wait for the next round, so every connection gets its turn first.
    m_leftovers.clear();
    for (auto &[id, connection] : m_connections)
        if (connection->again && std::find(m_served.begin(), m_served.end(), id) == m_served.end())
            m_leftovers.push_back(id);
    for (uint64_t id : m_leftovers)
        if (auto it = m_connections.find(id); it != m_connections.end()) {
            it->second->again = false;
            settle(id, serveTurn(*it->second, false));
        }
}

bool WorkerLoop::receiveFromParent()
{
    // One message per wake-up: the channel is level-triggered, so epoll_wait reports it again at once if
    // more are queued, and the common case (one dispatch) skips a recvmsg() that would say EAGAIN.
    ReceiveResult received = receiveHandoff(m_context.channel.get(), MSG_DONTWAIT);
    switch (received.status) {
    case ReceiveStatus::WouldBlock: return true;
    case ReceiveStatus::Closed: m_parentGone = true; return false;
    case ReceiveStatus::Error:
        LOG_ERROR("worker %u: recvmsg() from parent: %s", m_context.slotIndex, std::strerror(received.error));
        m_broken = true;
        return false;
    case ReceiveStatus::Ok: break;
    }
    bool dispatched =
        received.message.kind == HandoffKind::Dispatch || received.message.kind == HandoffKind::DispatchTls;
    if (!dispatched || !received.message.fd) {
        LOG_ERROR("worker %u: unexpected message from parent", m_context.slotIndex);
        m_broken = true;
        return false;
    }
    if (isStopping() || shouldHandBack()) {
        received.message.kind = HandoffKind::Park; // not served here: the parent gives it to another
        tell(received.message);
        return !m_broken;
    }
    adopt(std::move(received.message));
    return !m_broken;
}

void WorkerLoop::adopt(HandoffMessage &&message)
{
    auto connection = std::make_unique<Connection>();
    Connection &c = *connection;
    uint64_t id = message.connectionId;
    c.id = id;
    c.session.peer = std::move(message.peer);
    c.session.negotiated = message.session;
    c.session.tls = message.kind == HandoffKind::DispatchTls;
    c.fd = std::move(message.fd);
    c.transport = makeTransport(message.kind, c);
    if (!c.transport) {
        closeGently(c.fd);
        tell({HandoffKind::Done, id, {}, {}, {}, {}});
        return;
    }
    c.opened = message.kind == HandoffKind::Dispatch;
    c.holdNs = c.opened ? HoldIdleNs : m_context.tls.handshakeTimeout.count() * 1'000'000;
    c.io = std::make_unique<ClientIo>(
        c.fd.get(), *c.transport, m_context.sendTimeout,
        [this, id] {
            if (m_longWork)
                bounceDispatches(); // between chunks of a long response, no connection waits in the channel
            return m_slot.abortConnection.load(std::memory_order_relaxed) == id;
        },
        [this, id] { beginLongWork(id); });
    c.decoder.feed(message.bytes);
    c.holdUntilNs = monotonicNs() + c.holdNs;
    m_slot.connectionsServed.fetch_add(1, std::memory_order_relaxed);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP; // level-triggered: what a turn leaves unread is reported again
    event.data.u64 = id;
    c.events = event.events;
    if (epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, c.fd.get(), &event) != 0) {
        LOG_ERROR("worker %u: epoll_ctl() adding connection %llu: %s", m_context.slotIndex, (unsigned long long)id,
                  std::strerror(errno));
        closeGently(c.fd);
        tell({HandoffKind::Done, id, {}, {}, {}, {}});
        return;
    }
    m_connections.emplace(id, std::move(connection));
    settle(id, serveTurn(c, false)); // the parent dispatches a connection with a complete request (or ClientHello)
}

WorkerLoop::Turn WorkerLoop::serveTurn(Connection &connection, bool readable)
{
    if (!connection.opened)
        return openTurn(connection);
    Turn turn = serveRequests(connection, readable);
    // An answer held back to share a write with the next one must not wait past this turn.
    if (turn != Turn::Gone && connection.io->flush() != IoOutcome::Ok)
        return Turn::Close;
    return turn;
}

WorkerLoop::Turn WorkerLoop::serveRequests(Connection &connection, bool readable)
{
    bool mayRead = readable || connection.transport->hasBuffered(); // epoll cannot see decrypted bytes
    for (int served = 0; served < RequestsPerTurn;) {
        proto::DecodeResult result = connection.decoder.next();
        if (auto *request = std::get_if<proto::Message>(&result)) {
            ++served;
            showServing(connection);
            AfterRequest after = m_handler.handle(*connection.io, connection.session, *request);
            endLongWork();
            connection.holdUntilNs = monotonicNs() + connection.holdNs;
            if (after == AfterRequest::Close)
                return Turn::Close;
            continue;
        }
        if (auto *error = std::get_if<proto::DecodeError>(&result))
            return decodeFailed(connection, *error);
        if (std::holds_alternative<proto::BodyChunk>(result))
            return decodeFailed(connection, proto::DecodeError::UnknownType); // clients never send bodies
        // Need more: serve what is already there, otherwise wait (or hand the connection back).
        if (isStopping() || shouldHandBack())
            return Turn::Park;
        if (!mayRead)
            return Turn::Keep;
        switch (readSome(connection, mayRead)) {
        case Read::Fed: continue;
        case Read::Empty: return Turn::Keep;
        case Read::Gone: return Turn::Gone;
        }
    }
    connection.again = true;
    return Turn::Keep;
}

WorkerLoop::Read WorkerLoop::readSome(Connection &connection, bool &mayRead)
{
    uint8_t buffer[16 * 1024];
    const ssize_t got = retryOnEintr([&] { return connection.transport->receive(buffer, sizeof buffer); });
    // A short read emptied the socket, and epoll (level-triggered) reports it again when more arrives:
    // reading on would cost a recv() that says EAGAIN after every request. Bytes TLS decrypted and
    // holds are invisible to epoll, so they are read now.
    mayRead = got == ssize_t(sizeof buffer) || connection.transport->hasBuffered();
    if (got > 0) {
        connection.decoder.feed({buffer, size_t(got)});
        return Read::Fed;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return Read::Empty;
    return Read::Gone; // EOF, or a reset: either way nothing more will come
}

WorkerLoop::Turn WorkerLoop::decodeFailed(Connection &connection, proto::DecodeError error)
{
    std::string text = describeDecodeError(error);
    connection.io->sendMessage(proto::Error{proto::errorCodeFor(error), text});
    LOG_DEBUG("connection %llu from %s: %s", (unsigned long long)connection.id, connection.session.peer.c_str(),
              text.c_str());
    return Turn::Close;
}

void WorkerLoop::settle(uint64_t id, Turn turn)
{
    if (turn != Turn::Keep)
        release(id, turn);
}

void WorkerLoop::release(uint64_t id, Turn how)
{
    auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    Connection &c = *it->second;
    // An aborted connection is closed, not parked; so is one whose unread bytes would not fit a handoff
    // (cannot happen: a worker reads only when its buffer holds less than one request frame), and one
    // whose TLS session cannot leave this process (quiet past the idle timeout, or the worker stops).
    if (how == Turn::Park
        && (m_slot.abortConnection.load(std::memory_order_relaxed) == id || c.decoder.buffered() > MaxHandoffBytes
            || !c.transport->canHandBack()))
        how = Turn::Close;
    HandoffMessage message{HandoffKind::Done, id, {}, {}, {}, {}};
    if (how == Turn::Park) {
        // The parent will hold the same open socket: unregister it here, or this epoll set would keep
        // reporting it after our fd is closed.
        epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
        message.kind = HandoffKind::Park;
        message.bytes = c.decoder.takeBuffered(); // at most one partial request frame and one read
        message.fd = std::move(c.fd);
        message.session = c.session.negotiated;
    } else if (how == Turn::Gone) {
        c.fd.reset(); // after the client's FIN there is nothing to drain
    } else {
        c.transport->finish();
        closeGently(c.fd);
    }
    // Closing our last reference to a socket also drops it from the epoll set: no EPOLL_CTL_DEL needed.
    m_connections.erase(it);
    if (m_shown == id)
        showIdle();
    tell(message);
}

void WorkerLoop::releaseAll(Turn how)
{
    std::vector<uint64_t> ids;
    for (auto &[id, connection] : m_connections)
        ids.push_back(id);
    for (uint64_t id : ids)
        release(id, how);
}

void WorkerLoop::beginLongWork(uint64_t current)
{
    if (m_longWork)
        return;
    m_longWork = true;
    tell({HandoffKind::Busy, 0, {}, {}, {}, {}}); // first, so the parent sends what we park to someone else
    std::vector<uint64_t> others;
    // TLS connections stay: their sessions cannot move. They wait for this response to end (docs/SECURITY.md).
    for (auto &[id, connection] : m_connections)
        if (id != current && connection->transport->canHandBack())
            others.push_back(id);
    for (uint64_t id : others)
        release(id, Turn::Park);
    bounceDispatches();
}

void WorkerLoop::endLongWork()
{
    if (!m_longWork)
        return;
    m_longWork = false;
    tell({HandoffKind::Ready, 0, {}, {}, {}, {}});
}

void WorkerLoop::bounceDispatches()
{
    // The parent may have sent a connection before it read our Busy: hand it straight back.
    while (!m_broken && !m_parentGone) {
        ReceiveResult received = receiveHandoff(m_context.channel.get(), MSG_DONTWAIT);
        if (received.status == ReceiveStatus::WouldBlock)
            return;
        if (received.status == ReceiveStatus::Closed) {
            m_parentGone = true; // stop after this response
            showStopping();
            return;
        }
        bool dispatched = received.message.kind == HandoffKind::Dispatch
                          || received.message.kind == HandoffKind::DispatchTls;
        if (received.status != ReceiveStatus::Ok || !dispatched || !received.message.fd) {
            LOG_ERROR("worker %u: bad message from parent during a response", m_context.slotIndex);
            m_broken = true;
            return;
        }
        received.message.kind = HandoffKind::Park;
        tell(received.message);
    }
}

void WorkerLoop::expireQuiet()
{
    int64_t now = monotonicNs();
    std::vector<uint64_t> quiet;
    for (auto &[id, connection] : m_connections)
        if (!connection->again && connection->holdUntilNs <= now)
            quiet.push_back(id);
    for (uint64_t id : quiet)
        release(id, Turn::Park);
}

void WorkerLoop::honourAbort()
{
    uint64_t id = m_slot.abortConnection.load(std::memory_order_relaxed);
    if (id != 0 && m_connections.count(id))
        release(id, Turn::Close);
}

int WorkerLoop::waitTimeoutMs() const
{
    if (m_connections.empty())
        return -1;
    int64_t earliest = INT64_MAX;
    for (auto &[id, connection] : m_connections) {
        if (connection->again)
            return 0;
        earliest = std::min(earliest, connection->holdUntilNs);
    }
    int64_t left = earliest - monotonicNs();
    return left <= 0 ? 0 : int((left + 999'999) / 1'000'000);
}

void WorkerLoop::showServing(const Connection &connection)
{
    if (m_shown == connection.id)
        return;
    SlotWriteGuard guard(m_slot);
    // A request served on the way out (one already buffered) keeps showing Stopping.
    m_slot.state.store(isStopping() ? WorkerState::Stopping : WorkerState::Reading, std::memory_order_relaxed);
    m_slot.connectionId.store(connection.id, std::memory_order_relaxed);
    copyText(m_slot.peer, sizeof m_slot.peer, connection.session.peer.data(), connection.session.peer.size());
    const std::string security = connection.transport->security();
    copyText(m_slot.security, sizeof m_slot.security, security.data(), security.size());
    m_slot.path[0].store('\0', std::memory_order_relaxed);
    m_slot.lastProgressNs.store(monotonicNs(), std::memory_order_relaxed);
    m_shown = connection.id;
}

void WorkerLoop::showIdle()
{
    // Between requests a worker is Idle, or Stopping once it knows it must exit.
    const WorkerState resting = isStopping() ? WorkerState::Stopping : WorkerState::Idle;
    if (m_shown == 0 && m_slot.state.load(std::memory_order_relaxed) == resting)
        return;
    SlotWriteGuard guard(m_slot);
    m_slot.state.store(resting, std::memory_order_relaxed);
    m_slot.connectionId.store(0, std::memory_order_relaxed);
    m_slot.peer[0].store('\0', std::memory_order_relaxed);
    m_slot.path[0].store('\0', std::memory_order_relaxed);
    m_slot.security[0].store('\0', std::memory_order_relaxed);
    m_slot.transferStartNs.store(0, std::memory_order_relaxed);
    m_shown = 0;
}

void WorkerLoop::showStopping()
{
    // Only the state changes: a response in flight is still shown (peer, path, progress) while it finishes.
    if (m_slot.state.load(std::memory_order_relaxed) == WorkerState::Stopping)
        return;
    SlotWriteGuard guard(m_slot);
    m_slot.state.store(WorkerState::Stopping, std::memory_order_relaxed);
}

void WorkerLoop::tell(const HandoffMessage &message)
{
    if (m_broken)
        return;
    if (int error = sendHandoff(m_context.channel.get(), message); error != 0) {
        LOG_ERROR("worker %u: sendmsg() telling the parent about connection %llu: %s", m_context.slotIndex,
                  (unsigned long long)message.connectionId, std::strerror(error));
        m_broken = true;
    }
}

} // namespace ferry::server
