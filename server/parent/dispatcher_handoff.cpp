// Dispatcher, the handoff: a connection with its first request goes to an idle worker (or waits in the
// bounded queue, or is answered BUSY), and comes back here when the worker parks it, cannot take it,
// or is lost with it.
#include "parent/dispatcher.h"

#include "base/log.h"
#include "policy/exit_policy.h"

namespace ferry::server {

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

} // namespace ferry::server
