// WorkerLoop, connections leaving the worker: parked (handed back to the parent), closed, or gone; and
// the long-work hand-back, where a worker about to be busy for long parks its other connections and
// returns what the parent sends meanwhile, so none waits behind the long response.
#include "worker/worker_loop.h"

#include "base/log.h"

#include <sys/epoll.h>
#include <sys/socket.h>

namespace ferry::server {

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
    if (c.body) {
        endBody(c, audit::InterruptedResult); // closed under way (an abort, a stop past its grace)
        c.body.reset();
        --m_bodies;
    } else if (c.io->hasUnsent()) {
        auditKept(c, false); // an answer cut the same way
    }
    if (how == Turn::Park) {
        // The parent will hold the same open socket: unregister it here, or this epoll set would keep
        // reporting it after our fd is closed.
        if (c.watched)
            epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
        message.kind = HandoffKind::Park;
        message.bytes = c.decoder.takeBuffered(); // at most one partial request frame and one read
        message.fd = std::move(c.fd);
        message.session = c.session.negotiated;
    } else if (how == Turn::Gone) {
        // After the client's FIN (or close_notify) there is nothing to drain; TLS says goodbye too.
        c.transport->finish();
        c.fd.reset();
    } else if (how == Turn::Bye) {
        // Closed first, at once: the client promised nothing more, so there is nothing to drain, and the
        // close sends FIN after whatever the socket still holds (PROTOCOL.md §10.6).
        c.transport->finish();
        c.fd.reset();
    } else {
        c.transport->finish();
        closeGently(c.fd);
    }
    m_stayers -= c.transport->canHandBack() ? 0 : 1;
    if (how != Turn::Park && m_context.access.tokens) // a parked one still holds its token, in the parent
        m_context.access.tokens->dropConnectionOf(c.session.negotiated.tokenSlot);
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
    flushAudit(); // the response may sleep (poll, a rate limit): the lines before it go first
    if (m_longWork)
        return;
    m_longWork = true;
    tell({HandoffKind::Busy, 0, {}, {}, {}, {}}); // first, so the parent sends what we park to someone else
    std::vector<uint64_t> others;
    // TLS connections stay: their sessions cannot move. There are none when this is called for a
    // plaintext request's long work (it is made in turns while there are, serveRequests()); a TLS
    // request calls it only past ClientIo::UnsentLimit. So do answers under way (a plaintext one made
    // in turns): parking them would cut them.
    for (auto &[id, connection] : m_connections)
        if (id != current && connection->transport->canHandBack() && !connection->body
            && !connection->io->hasUnsent())
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
        ReceiveBatch received = receiveHandoffs(m_context.channel.get(), MSG_DONTWAIT);
        if (received.status == ReceiveStatus::WouldBlock)
            return;
        if (received.status == ReceiveStatus::Closed) {
            m_parentGone = true; // stop after this response
            showStopping();
            return;
        }
        bool valid = received.status == ReceiveStatus::Ok;
        for (const HandoffMessage &message : received.messages)
            valid = valid && (message.kind == HandoffKind::Dispatch || message.kind == HandoffKind::DispatchTls)
                    && message.fd;
        if (!valid) {
            LOG_ERROR("worker %u: bad message from parent during a response", m_context.slotIndex);
            m_broken = true;
            return;
        }
        for (HandoffMessage &message : received.messages) {
            message.kind = HandoffKind::Park;
            tell(message);
        }
    }
}

} // namespace ferry::server
