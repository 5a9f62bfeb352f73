#include "worker.h"

#include "handoff.h"
#include "log.h"
#include "protocol/codec.h"
#include "request_handler.h"
#include "wire_errors.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

namespace ferry::server {

namespace {

enum class Ending { Park, Done };

// How long a worker waits for a kept-alive client's next request before parking the connection:
// 10 slices of 200 us, re-checking between slices whether a queued request needs this worker.
constexpr int KeepAliveLingerSlices = 10;
constexpr long KeepAliveSliceNs = 200'000;

class ConnectionServer {
public:
    ConnectionServer(WorkerContext &context, HandoffMessage &message)
        : m_context(context), m_slot(context.scoreboard->slot(context.slotIndex)),
          m_control(context.scoreboard->control()), m_message(message), m_decoder(MaxRequestPayload),
          m_io(message.fd.get(), context.sendTimeout,
               [this] {
                   return m_slot.abortConnection.load(std::memory_order_relaxed) == m_message.connectionId;
               }),
          m_handler(*context.jail, m_slot, m_control)
    {
    }

    Ending serve();
    std::vector<uint8_t> takeBuffered() { return m_decoder.takeBuffered(); }

private:
    bool shouldHandBack() const
    {
        return m_slot.stopRequested.load(std::memory_order_relaxed)
               || m_control.draining.load(std::memory_order_relaxed)
               || m_control.generation.load(std::memory_order_relaxed) != m_context.generation;
    }
    // Reads what the client has already sent, without waiting. False: nothing more now (or gone).
    bool readAvailable(bool &closed);
    Ending decodeFailed(proto::DecodeError error);
    // Briefly waits for the client's next request. True if it has sent something.
    bool lingerForNextRequest();

    WorkerContext &m_context;
    WorkerSlot &m_slot;
    ControlBlock &m_control;
    HandoffMessage &m_message;
    proto::Decoder m_decoder;
    ClientIo m_io;
    RequestHandler m_handler;
    bool m_lingered = false;
};

bool ConnectionServer::readAvailable(bool &closed)
{
    uint8_t buffer[16 * 1024];
    for (;;) {
        ssize_t got = recv(m_message.fd.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (got > 0) {
            m_decoder.feed({buffer, size_t(got)});
            return true;
        }
        if (got < 0 && errno == EINTR)
            continue;
        closed = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        return false;
    }
}

Ending ConnectionServer::decodeFailed(proto::DecodeError error)
{
    proto::ErrorCode code = proto::errorCodeFor(error);
    std::string text = describeDecodeError(error);
    m_io.sendMessage(proto::Error{code, text});
    LOG_DEBUG("connection %llu from %s: %s", (unsigned long long)m_message.connectionId, m_message.peer.c_str(),
              text.c_str());
    return Ending::Done;
}

Ending ConnectionServer::serve()
{
    m_decoder.feed(m_message.bytes);
    for (;;) {
        proto::DecodeResult result = m_decoder.next();
        if (auto *request = std::get_if<proto::Message>(&result)) {
            m_lingered = false;
            if (m_handler.handle(m_io, *request) == AfterRequest::Close)
                return Ending::Done;
            continue;
        }
        if (auto *error = std::get_if<proto::DecodeError>(&result))
            return decodeFailed(*error);
        if (std::holds_alternative<proto::BodyChunk>(result))
            return decodeFailed(proto::DecodeError::UnknownType); // clients never send bodies
        // NeedMore: serve what is already there, otherwise hand the connection back.
        if (shouldHandBack())
            return Ending::Park;
        bool closed = false;
        if (readAvailable(closed))
            continue;
        if (closed)
            return Ending::Done;
        if (!lingerForNextRequest())
            return Ending::Park;
    }
}

bool ConnectionServer::lingerForNextRequest()
{
    // A kept-alive client usually sends its next request within microseconds of reading the answer.
    // Waiting a moment for it saves two handoffs. But only once per answer, and only until a request is
    // queued for a worker (checked every slice): an idle client never holds a worker someone needs.
    auto othersWaiting = [this] { return m_control.pendingConnections.load(std::memory_order_relaxed) != 0; };
    if (m_lingered || othersWaiting())
        return false;
    m_lingered = true;
    for (int slice = 0; slice < KeepAliveLingerSlices && !othersWaiting(); ++slice) {
        pollfd p{m_message.fd.get(), POLLIN, 0};
        timespec wait{0, KeepAliveSliceNs};
        if (ppoll(&p, 1, &wait, nullptr) > 0)
            return true;
    }
    return false;
}

void setIdle(WorkerSlot &slot)
{
    SlotWriteGuard guard(slot);
    slot.state.store(WorkerState::Idle, std::memory_order_relaxed);
    slot.connectionId.store(0, std::memory_order_relaxed);
    slot.peer[0] = '\0';
    slot.path[0] = '\0';
    slot.transferStartNs.store(0, std::memory_order_relaxed);
}

void setConnection(WorkerSlot &slot, const HandoffMessage &message)
{
    SlotWriteGuard guard(slot);
    slot.state.store(WorkerState::Reading, std::memory_order_relaxed);
    slot.connectionId.store(message.connectionId, std::memory_order_relaxed);
    copyText(slot.peer, sizeof slot.peer, message.peer.data(), message.peer.size());
    slot.path[0] = '\0';
    slot.lastProgressNs.store(monotonicNs(), std::memory_order_relaxed);
    slot.connectionsServed.fetch_add(1, std::memory_order_relaxed);
}

// Serves one connection and reports back: Park (fd and unread bytes go back to the parent) or Done.
// False if the channel to the parent is broken.
bool serveOne(WorkerContext &context, HandoffMessage &message)
{
    WorkerSlot &slot = context.scoreboard->slot(context.slotIndex);
    setConnection(slot, message);
    ConnectionServer server(context, message);
    Ending ending = server.serve();
    HandoffMessage reply;
    reply.connectionId = message.connectionId;
    reply.kind = HandoffKind::Done;
    bool aborted = slot.abortConnection.load(std::memory_order_relaxed) == message.connectionId;
    if (ending == Ending::Park && !aborted) {
        slot.state.store(WorkerState::Parking, std::memory_order_relaxed);
        reply.kind = HandoffKind::Park;
        reply.bytes = server.takeBuffered();
        reply.fd = std::move(message.fd);
    }
    if (reply.bytes.size() > MaxHandoffBytes) { // cannot happen with MaxRequestPayload; never send a torn message
        reply.kind = HandoffKind::Done;
        reply.fd.reset();
    }
    closeGently(message.fd); // no-op when parked: the fd moved into the reply
    int error = sendHandoff(context.channel.get(), reply);
    // Our copy of a parked fd closes here, after the kernel has duplicated it into the parent.
    if (error != 0)
        LOG_ERROR("worker %u: sendmsg() returning connection %llu to the parent: %s", context.slotIndex,
                  (unsigned long long)message.connectionId, std::strerror(error));
    return error == 0;
}

} // namespace

void closeGently(UniqueFd &fd)
{
    if (!fd)
        return;
    shutdown(fd.get(), SHUT_WR);
    uint8_t sink[4096];
    for (int i = 0; i < 16; ++i) // bounded: a client streaming garbage does not hold the worker
        if (recv(fd.get(), sink, sizeof sink, MSG_DONTWAIT) <= 0)
            break;
    fd.reset();
}

int runWorker(WorkerContext &context)
{
    WorkerSlot &slot = context.scoreboard->slot(context.slotIndex);
    struct stat root {};
    if (fstat(context.jail->rootFd(), &root) != 0 || root.st_nlink == 0) {
        // The served directory was deleted: no worker can ever serve from it; restarting cannot help.
        LOG_ERROR("worker %u: the root directory is gone", context.slotIndex);
        return WorkerExit::FatalConfig;
    }
    setIdle(slot);
    for (;;) {
        ReceiveResult received = receiveHandoff(context.channel.get());
        if (received.status == ReceiveStatus::Closed)
            return WorkerExit::Normal; // the parent asked us to go (or is gone)
        if (received.status != ReceiveStatus::Ok) {
            LOG_ERROR("worker %u: recvmsg() from parent: %s", context.slotIndex, std::strerror(received.error));
            return WorkerExit::Error;
        }
        if (received.message.kind != HandoffKind::Dispatch || !received.message.fd) {
            LOG_ERROR("worker %u: unexpected message from parent", context.slotIndex);
            return WorkerExit::Error;
        }
        if (!serveOne(context, received.message))
            return WorkerExit::Error;
        setIdle(slot);
        if (slot.stopRequested.load(std::memory_order_relaxed))
            return WorkerExit::Normal;
    }
}

} // namespace ferry::server
