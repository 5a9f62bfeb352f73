// WorkerLoop, the bodies of connections that stay in this worker (TLS): each is a BodyStream resumed
// turn by turn, when epoll says its socket takes data again or when its pacing time or send timeout
// comes, so a client that reads slowly or not at all holds up none of the worker's other connections.
#include "worker/worker_loop.h"

#include "base/log.h"
#include "worker/token_access.h"

#include <cerrno>
#include <cstring>
#include <sys/epoll.h>

namespace ferry::server {

WorkerLoop::Turn WorkerLoop::streamTurn(Connection &connection, uint32_t events)
{
    BodyStream &body = *connection.body;
    // A token revoked or expired meanwhile cuts its body (PROTOCOL.md §10.7), as between plaintext chunks.
    if (isTokenDead(connection.session, m_context.access.tokens)) {
        LOG_INFO("GET '%s' to %s cut after %llu of %llu bytes: its token was revoked or expired",
                 body.path().c_str(), connection.session.peer.c_str(), (unsigned long long)body.sent(),
                 (unsigned long long)body.length());
        endBody(connection, audit::InterruptedResult);
        return Turn::Close;
    }
    // Level-triggered: a socket in error is reported on every wait, and a paced body writes nothing
    // that would find out. It is over either way.
    if (body.isPaced() && (events & (EPOLLERR | EPOLLHUP)) != 0) {
        LOG_INFO("GET '%s' to %s stopped after %llu of %llu bytes: client closed", body.path().c_str(),
                 connection.session.peer.c_str(), (unsigned long long)body.sent(), (unsigned long long)body.length());
        endBody(connection, audit::InterruptedResult);
        return Turn::Close;
    }
    const StreamState state = body.resume();
    showBody(connection);
    switch (state) {
    case StreamState::Writing:
        connection.holdUntilNs = body.wakeNs(); // the send timeout
        // The socket took the whole chunk: the next one goes in the loop's next round, after the other
        // connections' turns, whether or not epoll reports EPOLLOUT by then (serveLeftovers).
        connection.again = body.tookAll();
        return watchFor(connection, body.wantsRead() ? EPOLLIN : EPOLLOUT) ? Turn::Keep : Turn::Close;
    case StreamState::Paced:
        connection.holdUntilNs = body.wakeNs();
        return watchFor(connection, 0) ? Turn::Keep : Turn::Close;
    case StreamState::FileChanged:
        LOG_WARN("GET '%s': the file changed while being sent", body.path().c_str());
        endBody(connection, proto::errorCodeName(proto::ErrorCode::FileChanged));
        break;
    case StreamState::Complete: endBody(connection, proto::errorCodeName(proto::ErrorCode::Ok)); break;
    case StreamState::Failed:
        LOG_INFO("GET '%s' to %s stopped after %llu of %llu bytes: %s", body.path().c_str(),
                 connection.session.peer.c_str(), (unsigned long long)body.sent(), (unsigned long long)body.length(),
                 body.why().c_str());
        endBody(connection, audit::InterruptedResult);
        return Turn::Close;
    }
    connection.body.reset();
    --m_bodies;
    connection.holdUntilNs = monotonicNs() + connection.holdNs;
    connection.again = true; // requests the client sent meanwhile may be buffered already
    return watchFor(connection, EPOLLIN) ? Turn::Keep : Turn::Close;
}

void WorkerLoop::endBody(Connection &connection, std::string_view result)
{
    audit::Record record = std::move(connection.bodyAudit);
    record.bytes = connection.body->sent();
    record.result = std::string(result);
    auditRequest(connection, std::move(record), connection.bodyStartNs);
    connection.bodyAudit = {};
}

void WorkerLoop::releaseResting()
{
    m_leftovers.clear();
    for (auto &[id, connection] : m_connections)
        if (!connection->body && !connection->io->hasUnsent()) // an answer under way finishes, as a body does
            m_leftovers.push_back(id);
    for (uint64_t id : m_leftovers)
        release(id, Turn::Park);
}

void WorkerLoop::unwatchChannel()
{
    if (!m_channelWatched)
        return;
    epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, m_context.channel.get(), nullptr);
    m_channelWatched = false;
}

} // namespace ferry::server
