// The parent's side of client connections: accept, handshake (HELLO -> WELCOME), wait for the first
// complete request under a deadline, then hand the connection to an idle worker; queue it when none is
// idle, BUSY when the queue is full. Connections that workers park come back here and are watched with
// the idle timeout. Never blocks: every socket is non-blocking and every wait has a timer.
#pragma once

#include "audit/audit_log.h"
#include "net/event_loop.h"
#include "ipc/handoff.h"
#include "ipc/token_table.h"
#include "net/lingering_closer.h"
#include "config/options.h"
#include "protocol/codec.h"
#include "parent/supervisor.h"
#include "base/cidr.h"
#include "base/unique_fd.h"

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <sys/socket.h>
#include <unordered_map>

namespace ferry::server {

struct DispatcherLimits {
    uint32_t maxPending = 64;
    uint32_t maxPerIp = 64; // 0 = unlimited
    Millis requestTimeout{10000};
    Millis idleTimeout{60000};
    PlaintextPolicy plaintext = PlaintextPolicy::Refuse; // what the first byte may be (dispatcher_sniff.cpp)
    std::string authCapability;   // what a version 2 WELCOME says of AUTH (access/grant.h)
    bool proxyProtocol = false;   // PROXY headers from trustedProxies (dispatcher_proxy.cpp)
    std::vector<Cidr> trustedProxies;
};
DispatcherLimits limitsFrom(const Options &options);

// The retry hint a draining server gives new clients. A drain lasts as long as the administrator wants,
// so any value is a guess: a couple of seconds lets clients (which retry BUSY many times) come back soon
// after `resume`, and a refusal costs the server only an accept, one frame and a close.
constexpr uint32_t DrainRetryAfterMs = 2000;

// How long a connection from an address at its --max-per-ip waits for a worker's close report that may
// free its place (Dispatcher::awaitCloseReport()) before it is answered BUSY. A report trails its close
// by a worker's loop turn, well under a millisecond unless the worker is starved of CPU.
constexpr Millis CloseReportWait{100};

struct DispatcherStats {
    uint64_t accepted = 0;
    uint64_t rejectedBusy = 0;     // BUSY because the queue was full
    uint64_t rejectedPerIp = 0;    // BUSY because of the per-address limit
    uint64_t rejectedDraining = 0; // BUSY because the server is draining
    uint64_t timedOut = 0;         // handshake/request/idle timeouts
    uint64_t badRequests = 0;      // closed for malformed traffic
    uint32_t handshaking = 0;      // accepted, no complete request yet
    uint32_t pending = 0;          // waiting for a worker
    uint32_t maxPendingSeen = 0;
    uint32_t parked = 0;           // idle kept-alive connections watched by the parent
    uint32_t inWorkers = 0;        // being served
    uint32_t open = 0;             // all of the above
};

class Dispatcher {
public:
    Dispatcher(EventLoop &loop, Supervisor &supervisor, DispatcherLimits limits);
    ~Dispatcher();

    // Starts/stops watching the listening socket (not owned). Stopping leaves new clients in the backlog.
    void startAccepting(int listenFd);
    void stopAccepting();
    bool isAccepting() const { return m_accepting; }

    // Supervisor hooks.
    void onReturned(HandoffMessage &&message);
    void onLost(uint64_t connectionId);
    void onWorkerAvailable();
    // A dispatch the supervisor held could not be sent: the connection waits for a worker again.
    void onUndelivered(HandoffMessage &&message);

    // Shutdown: stop accepting, close every connection no worker holds (ShuttingDown to those waiting
    // for an answer), and close connections that workers hand back from now on.
    void shutdown();
    // Closes a connection the parent holds, or asks its worker to abort it. False if unknown.
    bool disconnect(uint64_t connectionId);
    // Admin drain/resume: paused, every new client is answered BUSY (DrainRetryAfterMs) in place of
    // WELCOME and closed; connections already accepted, pending or parked are still served.
    void pause(bool paused);
    bool isPaused() const { return m_paused; }
    void setLimits(DispatcherLimits limits) { m_limits = limits; }
    // Where refusals are recorded (not owned; null = nowhere).
    void setAuditLog(audit::AuditLog *log) { m_audit = log; }
    // The token table, so a connection holding a token that ends here (parked, queued, or lost with its
    // worker) is counted out of the token's connections.
    void setTokenTable(TokenTable *tokens) { m_tokens = tokens; }
    DispatcherStats stats() const;

private:
    // Admission: accepted from an address at its --max-per-ip, waiting for a worker's close report.
    enum class State { Admission, Handshake, Waiting, Parked, Pending, InWorker };
    // What the client speaks, from its first bytes (tls/first_bytes.h).
    enum class Wire {
        Unknown,  // nothing read yet
        Ferry,    // plaintext Ferry frames, or something the Ferry decoder will refuse (HTTP, ...)
        TlsHello, // a TLS record has begun; its ClientHello is not all there yet (watched edge-triggered)
        Tls,      // a whole ClientHello is waiting unread: goes to a worker, which handshakes it
    };
    // The PROXY protocol step, before anything else is read (dispatcher_proxy.cpp).
    enum class ProxyStep {
        Done,      // no header to read (none expected, or read): the connection goes on to the first bytes
        Expected,  // from a trusted proxy: must open with a header
        Forbidden, // from anyone else: must not open with one
    };
    struct Connection {
        uint64_t id = 0;
        UniqueFd fd;
        std::string peer; // "host:port": the client's, also when a balancer relays it (THE peer address)
        std::string host; // per-address limit key; empty until counted in m_perHost (admitPeer())
        std::string waitHost; // State::Admission: the address whose close report it waits for
        sockaddr_storage address{}; // the socket's own peer: the client, or the balancer relaying it
        ProxyStep proxy = ProxyStep::Done;
        bool proxyBegun = false; // part of a header has arrived (a timeout or close then is worth a log line)
        State state = State::Handshake;
        Wire wire = Wire::Unknown;
        proto::Decoder decoder{MaxRequestPayload};
        std::vector<uint8_t> request; // a complete request (+ anything after it), for the worker
        EventLoop::TimerId timer = 0;
        bool peerClosed = false;
        bool welcomeOwed = false; // HELLO decoded, WELCOME not sent yet
        // Monotonic: a refusal's duration and a TLS worker's request deadline count from here.
        int64_t acceptedNs = 0;
        SessionState session; // the protocol version its first HELLO chose, kept while it is parked
    };

    void onAcceptable();
    void acceptSome();
    void admit(UniqueFd fd, const sockaddr_storage &address);
    // Answers a connection that is not admitted with `busy` and closes it gently.
    void turnAway(UniqueFd fd, const proto::Busy &busy);
    // The per-address limit, once the client's address is known: counts the connection under `host`, or
    // answers it BUSY and forgets it (false). `mayWait`: at the limit, it may instead wait for a worker's
    // close report (awaitCloseReport(), false too); retryAdmission() then goes on with it.
    [[nodiscard]] bool admitPeer(Connection &connection, const std::string &host, bool mayWait = false);
    // After admission: the first read, and the request deadline.
    void beginIntake(uint64_t id);
    // dispatcher_accept.cpp: waiting for a close report that trails its client's next connection.
    bool awaitCloseReport(Connection &connection, const std::string &host);
    void closeReported(const std::string &host);
    void retryAdmission(uint64_t id);
    void onReadable(uint64_t id);
    // Reads the PROXY header a connection from a trusted proxy opens with, and takes the client's address
    // from it; checks that no one else sends one. The first step of intake, before the TLS/plaintext
    // sniff. True: done, go on with the connection; false: wait for more, or it was refused and forgotten.
    bool readProxyHeader(Connection &connection);
    void refuseProxy(Connection &connection, const std::string &reason);
    // Watches the fd level-triggered (the normal case) or edge-triggered (bytes wait unread: a partial
    // header or ClientHello). False if epoll refused; the connection is then finished.
    bool watchTriggered(Connection &connection, bool edge);
    // Peeks at a new connection's first bytes and routes it: TLS to a worker once its ClientHello is in,
    // plaintext Ferry on (if allowed) to the pre-read below. True: read and decode it as plaintext now.
    bool sniff(Connection &connection);
    // --plaintext only, in place of sniff(): the first byte read says TLS (refused, false) or not.
    bool judgeFirstRead(Connection &connection, uint8_t first);
    bool awaitClientHello(Connection &connection, std::span<const uint8_t> bytes);
    // Decodes what is buffered and acts on it; may dispatch, queue or close (and forget) the connection.
    void decodeBuffered(Connection &connection);
    bool onMessage(Connection &connection, proto::Message &&message);
    void dispatchOrQueue(Connection &connection);
    bool tryDispatch(Connection &connection);
    // Every change of a connection's state goes through here, which keeps m_perHost's inWorkers.
    void setState(Connection &connection, State state);
    [[nodiscard]] bool watch(Connection &connection, State state, Millis timeout); // as arm()
    // Forgets this address's connections whose client has already closed (read EOF not yet seen).
    void reclaimClosed(const std::string &host);
    // Starts the connection's deadline and watches its fd for input. False if epoll refused the fd: the
    // connection would never be heard from again, and the caller must close it (finish()).
    [[nodiscard]] bool arm(Connection &connection, Millis timeout);
    void onTimeout(uint64_t id);
    // Sends a last frame (if any), closes gently, forgets the connection.
    void finish(uint64_t id, std::optional<proto::Message> last);
    void forget(uint64_t id);
    bool sendNow(Connection &connection, const proto::Message &message);
    // Sends the WELCOME for a HELLO that no request followed in the same read. False if the client is gone.
    bool sendOwedWelcome(Connection &connection);
    Connection *find(uint64_t id);
    // dispatcher_audit.cpp: the audit line of a connection refused with `last` (ERROR or BUSY), and of
    // one turned away (BUSY) at accept from `peer`.
    void auditRefusal(const Connection &connection, const proto::Message &last);
    void auditTurnedAway(const std::string &peer);

    EventLoop &m_loop;
    Supervisor &m_supervisor;
    DispatcherLimits m_limits;
    TokenTable *m_tokens = nullptr;
    int m_listenFd = -1;
    bool m_accepting = false;
    bool m_shuttingDown = false;
    bool m_paused = false;
    EventLoop::TimerId m_resumeTimer = 0; // accepting again after running out of fds or memory
    uint64_t m_nextId = 1;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> m_connections;
    // Per client address (Connection::host): its connections, counted against --max-per-ip, and how many
    // of them are in a worker (the one thing awaitCloseReport() asks of an address at its limit).
    struct HostCount {
        uint32_t open = 0;
        uint32_t inWorkers = 0;
    };
    std::unordered_map<std::string, HostCount> m_perHost;
    std::unordered_map<std::string, uint64_t> m_awaitingClose; // address -> its connection in State::Admission
    std::deque<uint64_t> m_pending;
    DispatcherStats m_stats;
    audit::AuditLog *m_audit = nullptr;
    LingeringCloser m_lingering; // last member: destroyed first, while the loop still exists
};

} // namespace ferry::server
