// A worker's event loop. The parent hands the worker connections over its channel; the worker keeps each
// one in its own epoll set while the client is active and answers whichever has a request, so a busy
// worker finds several ready connections per wake-up and a kept-alive request costs no trip through the
// parent. A connection goes back to the parent ("parked") only when it has been quiet for a moment, when
// the worker is about to start something long (then it also tells the parent Busy, and Ready after), or
// when the worker is asked to stop. A slow or idle client therefore never pins a worker.
#pragma once

#include "worker/client_io.h"
#include "ipc/handoff.h"
#include "protocol/codec.h"
#include "worker/request_handler.h"
#include "worker/worker.h"

#include <memory>
#include <unordered_map>
#include <vector>

namespace ferry::server {

class WorkerLoop {
public:
    explicit WorkerLoop(WorkerContext &context);

    // Serves until the parent closes the channel or asks this slot to stop (WorkerExit::Normal), or the
    // channel fails (WorkerExit::Error). Every connection still held is handed back or closed first.
    int run();

private:
    struct Connection {
        uint64_t id = 0;
        Session session; // its peer, protocol version and what else the request handler needs
        UniqueFd fd;
        proto::Decoder decoder{MaxRequestPayload};
        std::unique_ptr<Transport> transport; // plaintext, or a TLS session that never leaves this worker
        std::unique_ptr<ClientIo> io;
        bool opened = false;     // the transport's handshake is done: requests may be read
        uint32_t events = 0;     // what epoll watches for it
        int64_t holdNs = 0;      // how long it may stay quiet here (the handshake deadline until opened)
        int64_t holdUntilNs = 0; // released (parked, or closed if it cannot be) if nothing happens before then
        bool again = false;      // its turn ended with requests left: serve it again without waiting
    };
    enum class Turn {
        Keep,  // wait for the client's next request
        Park,  // hand the connection back to the parent
        Close, // close it (after an error answer, or an abort)
        Gone,  // the client closed its side: nothing is left to read or say
    };

    bool waitAndServe();
    void serveLeftovers();
    bool receiveFromParent();
    void adopt(HandoffMessage &&message);
    // The transport for a dispatched connection, or null (logged) if TLS cannot be set up.
    std::unique_ptr<Transport> makeTransport(HandoffKind kind, const Connection &connection);
    enum class Read { Fed, Empty, Gone };

    // Serves the connection's complete requests, reading from the socket only if epoll said it is
    // readable (`readable`) or the last read filled the buffer.
    Turn serveTurn(Connection &connection, bool readable);
    // A step of the transport's handshake; serves the first request once it is done.
    Turn openTurn(Connection &connection);
    bool watchFor(Connection &connection, uint32_t events);
    Turn serveRequests(Connection &connection, bool readable);
    Read readSome(Connection &connection, bool &mayRead);
    Turn decodeFailed(Connection &connection, proto::DecodeError error);
    void settle(uint64_t id, Turn turn);
    void release(uint64_t id, Turn how);
    void releaseAll(Turn how);
    void beginLongWork(uint64_t current);
    void endLongWork();
    void bounceDispatches();
    void expireQuiet();
    void honourAbort();
    void showServing(const Connection &connection);
    void showIdle();
    void showStopping();
    int waitTimeoutMs() const;
    bool shouldHandBack() const;
    bool isStopping() const;
    void tell(const HandoffMessage &message);

    WorkerContext &m_context;
    WorkerSlot &m_slot;
    ControlBlock &m_control;
    RequestHandler m_handler;
    UniqueFd m_epoll;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> m_connections;
    std::vector<uint64_t> m_served, m_leftovers; // reused by each round of the loop: no allocation
    uint64_t m_shown = 0;      // the connection the scoreboard slot shows; 0 = idle
    bool m_longWork = false;   // Busy was sent; Ready is owed
    bool m_parentGone = false; // the channel reached EOF: the parent wants this worker to stop
    bool m_broken = false;     // a message to the parent failed: the channel is unusable
};

} // namespace ferry::server
