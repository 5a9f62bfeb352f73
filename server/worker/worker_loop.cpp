#include "worker/worker_loop.h"

#include "base/log.h"
#include "worker/hash_progress.h"
#include "worker/token_access.h"
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
      m_control(context.scoreboard->control()),
      m_handler(*context.jail, m_slot, m_control, context.access, openManifestStore(context.manifests))
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
    tellClosed();
    flushAudit(); // worker_audit.cpp: lines are gathered per loop turn
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
    if (m_broken)
        return false;
    const bool stopping = isStopping();
    if (stopping || shouldHandBack())
        releaseResting(); // bodies under way finish first, as a blocking one would
    if (stopping && m_connections.empty())
        return false;
    if (m_parentGone)
        unwatchChannel(); // its EOF would be reported on every wait
    honourAbort();
    expireQuiet();
    expireFiles();
    showResting();
    flushAudit(); // before sleeping, as the closes: the turn's audit lines in one write
    tellClosed(); // before sleeping: the parent must not wait for them
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
        Connection &connection = *it->second;
        connection.again = false;
        settle(id, connection.body ? streamTurn(connection, events[i].events) : serveTurn(connection, true));
        m_served.push_back(id);
    }
    serveLeftovers();
    return !m_broken;
}

void WorkerLoop::serveLeftovers()
{
    // Connections whose last turn ended with requests still buffered, or with a body whose socket took
    // all it was given: the kernel may not report them. Those served just now wait for the next round,
    // so every connection gets its turn first.
    m_leftovers.clear();
    for (auto &[id, connection] : m_connections)
        if (connection->again && std::find(m_served.begin(), m_served.end(), id) == m_served.end())
            m_leftovers.push_back(id);
    for (uint64_t id : m_leftovers)
        if (auto it = m_connections.find(id); it != m_connections.end()) {
            Connection &connection = *it->second;
            connection.again = false;
            settle(id, connection.body ? streamTurn(connection, 0) : serveTurn(connection, false));
        }
}

bool WorkerLoop::receiveFromParent()
{
    // One datagram per wake-up (it may hold a batch of connections): the channel is level-triggered, so
    // epoll_wait reports it again at once if more are queued, and the common case (one dispatch) skips a
    // recvmsg() that would say EAGAIN.
    ReceiveBatch received = receiveHandoffs(m_context.channel.get(), MSG_DONTWAIT);
    switch (received.status) {
    case ReceiveStatus::WouldBlock: return true;
    case ReceiveStatus::Closed: m_parentGone = true; return true; // stop, once bodies under way are done
    case ReceiveStatus::Error:
        LOG_ERROR("worker %u: recvmsg() from parent: %s", m_context.slotIndex, std::strerror(received.error));
        m_broken = true;
        return false;
    case ReceiveStatus::Ok: break;
    }
    for (HandoffMessage &message : received.messages) {
        bool dispatched = message.kind == HandoffKind::Dispatch || message.kind == HandoffKind::DispatchTls;
        if (!dispatched || !message.fd) {
            LOG_ERROR("worker %u: unexpected message from parent", m_context.slotIndex);
            m_broken = true; // the rest of the batch closes with `received`; the parent settles them
            return false;
        }
    }
    for (HandoffMessage &message : received.messages) {
        if (m_broken)
            break;
        if (isStopping() || shouldHandBack()) {
            message.kind = HandoffKind::Park; // not served here: the parent gives it to another
            tell(message);
            continue;
        }
        adopt(std::move(message));
    }
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
    restoreToken(c.session, m_context.access); // the anonymous grant, or the token it came back with
    c.fd = std::move(message.fd);
    c.transport = makeTransport(message.kind, c);
    if (!c.transport) {
        closeGently(c.fd);
        if (m_context.access.tokens)
            m_context.access.tokens->dropConnectionOf(c.session.negotiated.tokenSlot);
        tell({HandoffKind::Done, id, {}, {}, {}, {}});
        return;
    }
    c.opened = message.kind == HandoffKind::Dispatch;
    c.holdNs = c.opened ? HoldIdleNs : m_context.tls.handshakeTimeout.count() * 1'000'000;
    c.io = std::make_unique<ClientIo>(
        c.fd.get(), *c.transport, m_context.sendTimeout,
        [this, id, &c] {
            if (m_longWork)
                bounceDispatches(); // between chunks of a long response, no connection waits in the channel
            // A token revoked or expired meanwhile cuts the body (PROTOCOL.md §10.7): checked per chunk.
            return m_slot.abortConnection.load(std::memory_order_relaxed) == id
                   || isTokenDead(c.session, m_context.access.tokens);
        },
        [this, id] { beginLongWork(id); });
    c.decoder.feed(message.bytes);
    c.holdUntilNs = monotonicNs() + c.holdNs;
    if (message.deadlineNs != 0) // TLS: what the ClientHello took in the parent counts too
        c.holdUntilNs = std::min(c.holdUntilNs, message.deadlineNs);
    m_slot.connectionsServed.fetch_add(1, std::memory_order_relaxed);
    m_stayers += c.transport->canHandBack() ? 0 : 1;
    m_connections.emplace(id, std::move(connection));
    // The parent dispatches a connection with a complete request (or ClientHello): served before it is
    // watched, so a short connection (its request and BYE came together) is answered and closed without
    // ever entering the epoll set. Level-triggered: what the turn leaves unread is reported at once.
    Turn turn = serveTurn(c, false);
    if (turn == Turn::Keep && !c.body && !c.watched && !watchFor(c, EPOLLIN))
        turn = Turn::Close;
    settle(id, turn);
}

WorkerLoop::Turn WorkerLoop::serveTurn(Connection &connection, bool readable)
{
    if (!connection.opened)
        return openTurn(connection);
    if (connection.io->hasUnsent()) { // TLS: the last answer goes out before any request is read
        const Turn turn = unsentTurn(connection);
        if (turn != Turn::Keep || connection.io->hasUnsent())
            return turn;
        readable = false; // epoll watched for the socket taking data; it says when requests come
    }
    Turn turn = serveRequests(connection, readable);
    // An answer held back to share a write with the next one must not wait past this turn; nor, after
    // the client's half-close (Gone), is it dropped: the answers to every request received go out,
    // then the connection closes (PROTOCOL.md §3.4).
    if (connection.io->flush() != IoOutcome::Ok)
        return Turn::Close;
    if (connection.io->hasUnsent())
        return awaitUnsent(connection, turn);
    return turn;
}

WorkerLoop::Turn WorkerLoop::serveRequests(Connection &connection, bool readable)
{
    bool mayRead = readable || connection.transport->hasBuffered(); // epoll cannot see decrypted bytes
    for (int served = 0; served < RequestsPerTurn;) {
        if (connection.io->hasUnsent())
            return Turn::Keep; // the next request waits until the client takes this answer (serveTurn)
        proto::DecodeResult result = connection.decoder.next();
        if (auto *request = std::get_if<proto::Message>(&result)) {
            ++served;
            showServing(connection);
            // Long work for a plaintext request would hold up whoever cannot be handed back meanwhile
            // (a TLS connection, a body under way here): then it is made in turns, as TLS's is.
            connection.io->setKeepsUnsent(m_stayers > 0 || m_bodies > 0);
            const int64_t startNs = monotonicNs();
            AfterRequest after = m_handler.handle(*connection.io, connection.session, *request);
            // Its line is written when the body ends (streamTurn), or when its kept answer is out (unsentTurn).
            if (after == AfterRequest::Streaming || connection.io->hasUnsent()) {
                connection.bodyAudit = m_handler.outcome();
                connection.bodyStartNs = startNs;
            } else {
                auditRequest(connection, m_handler.outcome(), startNs);
            }
            endLongWork();
            // A HELLO is not the first request: until one comes, the request deadline holds (TLS).
            if (!std::holds_alternative<proto::Hello>(*request))
                connection.holdUntilNs = monotonicNs() + connection.holdNs;
            if (after == AfterRequest::Close)
                return Turn::Close;
            if (after == AfterRequest::Bye)
                return Turn::Bye;
            if (after == AfterRequest::Streaming) {
                connection.body = m_handler.takeStream();
                ++m_bodies;
                return streamTurn(connection, 0);
            }
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
    audit::Record refused;
    refused.request = audit::ConnectRequest; // no request could be read from these bytes
    refused.result = proto::errorCodeName(proto::errorCodeFor(error));
    auditRequest(connection, std::move(refused), monotonicNs());
    LOG_DEBUG("connection %llu from %s: %s", (unsigned long long)connection.id, connection.session.peer.c_str(),
              text.c_str());
    return Turn::Close;
}

void WorkerLoop::expireQuiet()
{
    int64_t now = monotonicNs();
    std::vector<uint64_t> quiet;
    for (auto &[id, connection] : m_connections)
        if (!connection->again && connection->holdUntilNs <= now)
            quiet.push_back(id);
    for (uint64_t id : quiet) {
        auto it = m_connections.find(id);
        if (it == m_connections.end())
            continue;
        if (it->second->body) // its pacing time, or its send timeout, has come
            settle(id, streamTurn(*it->second, 0));
        else if (it->second->io->hasUnsent()) // its send timeout has come
            settle(id, serveTurn(*it->second, false));
        else
            release(id, Turn::Park);
    }
}

void WorkerLoop::honourAbort()
{
    uint64_t id = m_slot.abortConnection.load(std::memory_order_relaxed);
    if (id != 0 && m_connections.count(id))
        release(id, Turn::Close);
}

int WorkerLoop::waitTimeoutMs() const
{
    // Slices of at most 250 ms while a body is under way, as ClientIo waits: an abort or stop request,
    // which the parent only writes to the scoreboard, is noticed promptly even while its client stalls.
    constexpr int64_t BodySliceNs = 250'000'000;
    if (m_connections.empty()) { // idle: wake only to close cached files nobody uses any more
        const int64_t next = m_handler.nextFileExpiryNs();
        if (next == INT64_MAX)
            return -1;
        const int64_t left = std::max(next, m_nextFileSweepNs) - monotonicNs();
        return left <= 0 ? 0 : int(std::min<int64_t>((left + 999'999) / 1'000'000, INT32_MAX));
    }
    int64_t earliest = m_bodies > 0 ? monotonicNs() + BodySliceNs : INT64_MAX;
    for (auto &[id, connection] : m_connections) {
        if (connection->again)
            return 0;
        earliest = std::min(earliest, connection->holdUntilNs);
        if (connection->io->hasUnsent()) // an abort is noticed as for a body
            earliest = std::min(earliest, monotonicNs() + BodySliceNs);
    }
    int64_t left = earliest - monotonicNs();
    return left <= 0 ? 0 : int((left + 999'999) / 1'000'000);
}

} // namespace ferry::server
