// WorkerLoop, a connection's opening: the transport it gets (plaintext, or a TLS session made from the
// worker's context) and the steps of its TLS handshake, driven by epoll like everything else here: a
// handshake that waits for its client is one epoll registration with a deadline, never a wait.
#include "worker/worker_loop.h"

#include "base/log.h"
#include "worker/tls_transport.h"

#include <cerrno>
#include <cstring>
#include <sys/epoll.h>

namespace ferry::server {

std::unique_ptr<Transport> WorkerLoop::makeTransport(HandoffKind kind, const Connection &connection)
{
    if (kind == HandoffKind::Dispatch)
        return std::make_unique<PlainTransport>(connection.fd.get());
    std::string error = "no TLS context (--plaintext only)";
    std::unique_ptr<Transport> transport;
    if (m_context.tls.context)
        transport = TlsTransport::accept(*m_context.tls.context, connection.fd.get(), error);
    if (!transport)
        LOG_ERROR("worker %u: connection %llu: %s", m_context.slotIndex, (unsigned long long)connection.id,
                  error.c_str());
    return transport;
}

bool WorkerLoop::watchFor(Connection &connection, uint32_t events)
{
    // The client's FIN matters only while waiting to read: a body waiting for EPOLLOUT would be woken by
    // it (level-triggered) on every wait, for a client that shut down its sending side and still reads.
    if (events & EPOLLIN)
        events |= EPOLLRDHUP;
    if (connection.events == events && (connection.watched || events == 0))
        return true;
    epoll_event event{};
    event.events = events;
    event.data.u64 = connection.id;
    const int operation = connection.watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(m_epoll.get(), operation, connection.fd.get(), &event) != 0) {
        LOG_ERROR("worker %u: epoll_ctl() for connection %llu: %s", m_context.slotIndex,
                  (unsigned long long)connection.id, std::strerror(errno));
        return false;
    }
    connection.events = events;
    connection.watched = true;
    return true;
}

WorkerLoop::Turn WorkerLoop::openTurn(Connection &connection)
{
    // Never blocks: a client that stalls mid-handshake costs one epoll registration until its deadline
    // (holdUntilNs, the request timeout), and the worker serves everyone else meanwhile.
    switch (connection.transport->open()) {
    case Opening::WantRead: return watchFor(connection, EPOLLIN) ? Turn::Keep : Turn::Close;
    case Opening::WantWrite: return watchFor(connection, EPOLLOUT) ? Turn::Keep : Turn::Close;
    case Opening::Failed:
        LOG_DEBUG("connection %llu from %s: TLS handshake failed: %s", (unsigned long long)connection.id,
                  connection.session.peer.c_str(), connection.transport->lastError().c_str());
        return Turn::Close;
    case Opening::Ready: break;
    }
    connection.opened = true;
    // The first request is still due by the request deadline (holdUntilNs, as from accept); the idle
    // timeout, the parent's kept here, counts from each answer on.
    connection.holdNs = m_context.tls.idleTimeout.count() * 1'000'000;
    if (!watchFor(connection, EPOLLIN))
        return Turn::Close;
    LOG_DEBUG("connection %llu from %s: %s", (unsigned long long)connection.id, connection.session.peer.c_str(),
              connection.transport->security().c_str());
    return serveTurn(connection, true); // the first request may have come with the client's Finished
}

} // namespace ferry::server
