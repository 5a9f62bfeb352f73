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
        std::unique_ptr<BodyStream> body; // a TLS body under way (destroyed before its transport)
        audit::Record bodyAudit;          // its GET's audit line, written when the body ends (or a kept answer)
        int64_t bodyStartNs = 0;
        bool opened = false;     // the transport's handshake is done: requests may be read
        uint32_t events = 0;     // what epoll watches for it
        bool watched = false;    // in the epoll set (a connection served at once and closed never is)
        int64_t holdNs = 0;      // how long it may stay quiet here (the handshake deadline until opened)
        int64_t holdUntilNs = 0; // released (parked, or closed if it cannot be) if nothing happens before then
        bool again = false;      // requests left, or a body that may go on: serve it again without waiting
        bool closeWhenSent = false; // closed once the answer it keeps unsent is out (TLS, client_io.h)
    };
    enum class Turn {
        Keep,  // wait for the client's next request
        Park,  // hand the connection back to the parent
        Close, // close it (after an error answer, or an abort)
        Gone,  // the client closed its side: nothing is left to read; what is owed goes, then it closes
        Bye,   // the client sent BYE: close first, now (PROTOCOL.md §10.6)
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
    // A turn of the connection's body under way (worker_loop_body.cpp): `events` are what epoll
    // reported, 0 when its time came. Keep while it goes on; after it, the connection reads requests.
    Turn streamTurn(Connection &connection, uint32_t events);
    // worker_loop_unsent.cpp, a TLS connection whose answer the socket did not take at once: a turn
    // that writes what it can of it (Keep while some is left, watching for the socket; then it reads
    // requests again), and the end of a turn that left some (`after`: what the turn said).
    Turn unsentTurn(Connection &connection);
    Turn awaitUnsent(Connection &connection, Turn after);
    // The audit line of the request whose answer was kept: OK as it said once `delivered`, else cut.
    void auditKept(Connection &connection, bool delivered);
    // Connections without a body or an unsent answer go (parked, or closed if TLS); those finish first.
    void releaseResting();
    void unwatchChannel();
    bool watchFor(Connection &connection, uint32_t events);
    Turn serveRequests(Connection &connection, bool readable);
    Read readSome(Connection &connection, bool &mayRead);
    Turn decodeFailed(Connection &connection, proto::DecodeError error);
    // worker_audit.cpp: the audit line of a request this worker finished (started at `startNs`).
    void auditRequest(const Connection &connection, audit::Record record, int64_t startNs);
    static void fillIdentity(const Connection &connection, audit::Record &record);
    // Writes the audit lines gathered so far; called before the worker may wait or exit.
    void flushAudit();
    void settle(uint64_t id, Turn turn);
    void release(uint64_t id, Turn how);
    void releaseAll(Turn how);
    void beginLongWork(uint64_t current);
    void endLongWork();
    void bounceDispatches();
    void expireQuiet();
    void expireFiles();
    void honourAbort();
    void showServing(const Connection &connection);
    void showConnection(const Connection &connection); // its texts, inside a SlotWriteGuard
    // Between turns: a body under way if there is one (its progress, for the admin plane and the stall
    // watchdog), else idle.
    void showResting();
    void showBody(const Connection &connection);
    // A connection with an answer under way (worker_loop_show.cpp): the one shown if it has one, or the
    // first found; null if none. And how the slot shows it (Sending, its path and progress).
    const Connection *keptAnswer() const;
    void showKept(const Connection &connection);
    // A body ends (`result`: "OK", an error-code name, or audit::InterruptedResult): its audit line.
    void endBody(Connection &connection, std::string_view result);
    void showIdle();
    void showStopping();
    int waitTimeoutMs() const;
    bool shouldHandBack() const;
    bool isStopping() const;
    void tell(const HandoffMessage &message);
    void tellClosed();
    void send(std::span<const HandoffMessage> messages);

    WorkerContext &m_context;
    WorkerSlot &m_slot;
    ControlBlock &m_control;
    RequestHandler m_handler;
    UniqueFd m_epoll;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> m_connections;
    std::vector<uint64_t> m_served, m_leftovers; // reused by each round of the loop: no allocation
    std::vector<uint64_t> m_closed;              // closes not told yet (tellClosed(), once per turn)
    uint64_t m_shown = 0;      // the connection the scoreboard slot shows; 0 = idle
    int64_t m_nextFileSweepNs = 0; // when the open-file cache is next swept (expireFiles())
    size_t m_bodies = 0;       // connections with a body under way
    size_t m_stayers = 0;      // connections that cannot be handed back (TLS)
    bool m_longWork = false;   // Busy was sent; Ready is owed
    bool m_parentGone = false; // the channel reached EOF: the parent wants this worker to stop
    bool m_channelWatched = true;
    bool m_broken = false;     // a message to the parent failed: the channel is unusable
};

} // namespace ferry::server
