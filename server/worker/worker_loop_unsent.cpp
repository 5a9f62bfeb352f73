// WorkerLoop, answers a TLS client's socket did not take at once (client_io.h keeps them), and those
// made a piece per turn (a LIST's pages, a hash and its answer: ClientIo::setRest()). The connection
// then reads no further request, so a client that pipelines requests and never reads costs one kept
// answer, not one per request; epoll tells when its socket takes data again, and the worker serves its
// other connections meanwhile. A plaintext connection gets here only while its worker holds TLS ones
// (serveRequests()); otherwise it waits in its worker after handing the others back to the parent
// (beginLongWork), which a TLS session cannot do.
#include "worker/worker_loop.h"

#include "base/log.h"

#include <poll.h>
#include <utility>
#include <sys/epoll.h>

namespace ferry::server {

WorkerLoop::Turn WorkerLoop::unsentTurn(Connection &connection)
{
    ClientIo &io = *connection.io;
    if (const IoOutcome outcome = io.sendUnsent(); outcome != IoOutcome::Ok) {
        // Timeout: the client took no byte for the send timeout, as a blocking send would have found.
        LOG_INFO("connection %llu from %s: answer cut with %zu bytes unsent: %s", (unsigned long long)connection.id,
                 connection.session.peer.c_str(), io.unsentSize(),
                 outcome == IoOutcome::Error ? io.lastError().c_str() : ioOutcomeName(outcome));
        auditKept(connection, false);
        return Turn::Close;
    }
    if (io.hasUnsent())
        return awaitUnsent(connection, connection.closeWhenSent ? Turn::Close : Turn::Keep);
    auditKept(connection, true);
    if (connection.closeWhenSent)
        return Turn::Close; // its last answer (an error that ends the connection) is out
    connection.holdUntilNs = monotonicNs() + connection.holdNs;
    return watchFor(connection, EPOLLIN) ? Turn::Keep : Turn::Close;
}

WorkerLoop::Turn WorkerLoop::awaitUnsent(Connection &connection, Turn after)
{
    // A turn that ends the connection (Close, or Park, which a TLS one cannot follow) ends it once its
    // last answer is out: the client gets the error it was sent.
    connection.closeWhenSent = after != Turn::Keep;
    ClientIo &io = *connection.io;
    if (const int64_t wakeNs = io.unsentSize() == 0 ? io.restWakeNs() : 0; wakeNs != 0) {
        // The rest waits for something other than its socket (another worker hashing the same file):
        // a turn at that time, and no event meanwhile (a writable socket would report one every round).
        connection.again = false;
        connection.holdUntilNs = wakeNs;
        return watchFor(connection, 0) ? Turn::Keep : Turn::Close;
    }
    // Requests already buffered wait for the answer before them. More of the answer to make, and every
    // kept byte taken: the next frame goes in the next round, after the others' turns, without waiting
    // for EPOLLOUT, which a socket whose buffer is two thirds full does not report though it takes data.
    connection.again = connection.io->unsentSize() == 0;
    connection.holdUntilNs = connection.io->unsentDeadlineNs();
    // A TLS write that blocked may have to read a record first. Only one that blocked: with every kept
    // byte taken and more of the answer to make, the socket takes data now, and waitEvents() would
    // still say what the last read waited for.
    const bool wantsRead = connection.io->unsentSize() > 0 && connection.transport->waitEvents() == POLLIN;
    return watchFor(connection, wantsRead ? EPOLLIN : EPOLLOUT) ? Turn::Keep : Turn::Close;
}

void WorkerLoop::auditKept(Connection &connection, bool delivered)
{
    if (connection.bodyAudit.request.empty())
        return; // a HELLO's WELCOME, or a line written already
    audit::Record record = std::exchange(connection.bodyAudit, {});
    const char *restResult = connection.io->takeRestResult(); // a hash in turns that ended FILE_CHANGED
    if (!delivered)
        record.result = audit::InterruptedResult; // as a blocking send that failed would have recorded
    else if (restResult)
        record.result = restResult;
    auditRequest(connection, std::move(record), connection.bodyStartNs);
}

} // namespace ferry::server
