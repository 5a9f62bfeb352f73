// WorkerLoop and the scoreboard: what this worker's slot shows (docs/ADMIN.md's worker states). A
// connection's texts (peer, security, token) are written when the slot starts showing it, and a token's
// again only when AUTH changes it (showToken), so a kept-alive stream of requests copies none of them.
#include "worker/worker_loop.h"

#include "base/clock.h"
#include "worker/token_access.h"

namespace ferry::server {

void WorkerLoop::showConnection(const Connection &connection)
{
    m_slot.connectionId.store(connection.id, std::memory_order_relaxed);
    const Session &session = connection.session;
    copyText(m_slot.peer, sizeof m_slot.peer, session.peer.data(), session.peer.size());
    const std::string security = connection.transport->security();
    copyText(m_slot.security, sizeof m_slot.security, security.data(), security.size());
    showToken(m_slot, session.access);
    m_shown = connection.id;
}

void WorkerLoop::showServing(const Connection &connection)
{
    if (m_shown == connection.id)
        return;
    SlotWriteGuard guard(m_slot);
    // A request served on the way out (one already buffered) keeps showing Stopping.
    m_slot.state.store(isStopping() ? WorkerState::Stopping : WorkerState::Reading, std::memory_order_relaxed);
    showConnection(connection);
    m_slot.path[0].store('\0', std::memory_order_relaxed);
    m_slot.lastProgressNs.store(monotonicNs(), std::memory_order_relaxed);
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
    m_slot.tokenId[0].store('\0', std::memory_order_relaxed);
    m_slot.tokenLabel[0].store('\0', std::memory_order_relaxed);
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

// A worker holding TLS bodies shows one of them while it waits (the one shown already, if it still
// sends), so Ferry Admin sees the transfer rather than an idle worker; without a body, an answer under
// way (kept for its socket, or made in turns: a hash, a LIST's pages), which is as busy.
void WorkerLoop::showResting()
{
    if (m_bodies == 0) {
        if (const Connection *kept = keptAnswer())
            showKept(*kept);
        else
            showIdle();
        return;
    }
    auto shown = m_connections.find(m_shown);
    if (shown != m_connections.end() && shown->second->body) {
        showBody(*shown->second);
        return;
    }
    for (auto &[id, connection] : m_connections)
        if (connection->body) {
            showBody(*connection);
            return;
        }
}

const WorkerLoop::Connection *WorkerLoop::keptAnswer() const
{
    if (auto shown = m_connections.find(m_shown); shown != m_connections.end() && shown->second->io->hasUnsent())
        return shown->second.get();
    for (auto &[id, connection] : m_connections)
        if (connection->io->hasUnsent())
            return connection.get();
    return nullptr;
}

void WorkerLoop::showKept(const Connection &connection)
{
    const ClientIo &io = *connection.io;
    SlotWriteGuard guard(m_slot);
    m_slot.state.store(isStopping() ? WorkerState::Stopping : WorkerState::Sending, std::memory_order_relaxed);
    m_slot.transferStartNs.store(connection.bodyStartNs, std::memory_order_relaxed);
    // A hash shows its bytes and moves with each piece; a kept answer moves as its socket takes it.
    const std::optional<AnswerRest::Progress> progress = io.rest() ? io.rest()->progress() : std::nullopt;
    if (progress) {
        m_slot.bytesSent.store(progress->done, std::memory_order_relaxed);
        m_slot.bytesTotal.store(progress->total, std::memory_order_relaxed);
    }
    m_slot.lastProgressNs.store(progress ? progress->lastNs : io.lastProgressNs(), std::memory_order_relaxed);
    if (m_shown == connection.id)
        return; // the texts are there already
    showConnection(connection);
    const std::string &path = connection.bodyAudit.path;
    copyText(m_slot.path, sizeof m_slot.path, path.data(), path.size());
}

void WorkerLoop::showBody(const Connection &connection)
{
    const BodyStream &body = *connection.body;
    SlotWriteGuard guard(m_slot);
    m_slot.state.store(isStopping() ? WorkerState::Stopping : WorkerState::Sending, std::memory_order_relaxed);
    m_slot.bytesSent.store(body.sent(), std::memory_order_relaxed);
    m_slot.bytesTotal.store(body.length(), std::memory_order_relaxed);
    m_slot.transferStartNs.store(body.startNs(), std::memory_order_relaxed);
    m_slot.lastProgressNs.store(body.lastProgressNs(), std::memory_order_relaxed);
    if (m_shown == connection.id)
        return; // the texts are there already
    showConnection(connection);
    copyText(m_slot.path, sizeof m_slot.path, body.path().data(), body.path().size());
}

} // namespace ferry::server
