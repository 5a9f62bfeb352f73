// The admin socket server (docs/ADMIN.md): accepts local clients on the parent's EventLoop, checks each
// peer with SO_PEERCRED, speaks JSON Lines, pushes subscriptions, keeps the per-second history, and writes
// an audit line for every command. Never blocks: every client has a bounded output buffer and a client
// that cannot keep up is dropped; one that neither subscribes nor asks anything is closed after a while
// (admin_idle.cpp), so idle connections never keep the admins out.
#pragma once

#include "admin/admin_timeouts.h"
#include "admin/audit_backlog.h"
#include "admin/audit_tail.h"
#include "admin/backend.h"
#include "adminproto/history.h"
#include "adminproto/protocol.h"
#include "adminproto/transfer_rates.h"
#include "net/event_loop.h"
#include "base/unique_fd.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <unordered_map>

namespace ferry::admin {

struct AdminOptions {
    std::string socketPath;
    std::optional<gid_t> adminGroup; // members may connect as well as the server's uid and root
    std::string adminGroupName;      // for messages
    std::string auditLogPath;        // what audit_subscribe follows; "" = the audit log is off
};

constexpr size_t MaxAdminClients = 64;
constexpr size_t MaxOutputBytes = 1 << 20; // per client; a client that lets more pile up is dropped
constexpr int MinSubscribeIntervalMs = 100;
constexpr int MaxSubscribeIntervalMs = 60000;
// How long one STATUS serves replies and pushes. Far below MinSubscribeIntervalMs, so a subscriber never
// sees the same snapshot twice, and below what a person or a script polling `status` could tell apart.
constexpr int StatusReuseMs = 10;
// How often the audit log is read for audit subscribers: live to a person, one pread() when nothing is new.
// While more is waiting it is read again on the loop's next turn, AuditTail::MaxPollBytes at a time.
constexpr int AuditPollMs = 200;
// Audit events fill a subscriber's output buffer only up to half of it: status pushes and replies to the
// same client keep the other half, so a burst of audit lines never drops a client that reads.
constexpr size_t MaxAuditOutputBytes = MaxOutputBytes / 2;
// While a subscriber has no room for its next line, it is checked again this often (cheap: no read, and
// the line is not made until it fits)...
constexpr int AuditRetryMs = 20;
// ...and dropped once it took no line for this long: the lines it has not had stay in the backlog, and
// once that is full (AuditBacklog::MaxBytes) the file is not read for the others either.
constexpr int AuditStallMs = 5000;
// An admin client with no subscription that sends no complete request for this long is closed (ferry-ctl
// needs milliseconds; a person typing into socat gets a minute between requests).
constexpr int AdminIdleTimeoutMs = 60000;
// With all MaxAdminClients connected, a newcomer closes the longest-idle client without a subscription, if
// that one has been idle this long: well beyond a script's pause between a reply and its next request.
constexpr int EvictMinIdleMs = 1000;
constexpr int64_t MaxAuditRecent = 1000; // audit_subscribe's "lines": the most recent lines it may ask for
// What those lines may take in its reply: a quarter of the output buffer, so the reply always fits.
constexpr size_t MaxAuditRecentBytes = MaxOutputBytes / 4;

class AdminServer {
public:
    // `listener` comes from bindAdminSocket(). The socket file is unlinked when the AdminServer is destroyed.
    AdminServer(server::EventLoop &loop, AdminBackend &backend, server::UniqueFd listener, AdminOptions options);
    ~AdminServer();
    AdminServer(const AdminServer &) = delete;
    AdminServer &operator=(const AdminServer &) = delete;

    size_t clientCount() const { return m_clients.size(); }
    const HistoryRing &history() const { return m_history; }
    // A fresh snapshot with the admin plane's own figures (throughputs, socket path) filled in.
    StatusSnapshot snapshot(bool withProcInfo);

private:
    struct Client {
        uint64_t id = 0;
        server::UniqueFd fd;
        uid_t uid = 0;
        pid_t pid = 0;
        LineBuffer input;
        std::string output;
        bool closing = false;   // an error ended the conversation: flush, discard input, close
        bool wantsWrite = false;
        bool peerClosed = false; // EOF read while replies were still queued: only writing is left
        int intervalMs = 0;     // > 0 while subscribed
        uint64_t seq = 0;
        server::EventLoop::TimerId pushTimer = 0;
        server::EventLoop::TimerId lingerTimer = 0;
        bool pushNow = false;
        bool auditSubscribed = false; // audit_subscribe: each new audit line is pushed
        uint64_t auditSeq = 0;
        uint64_t auditNext = 0; // its position in m_auditBacklog: the next record it gets
        std::optional<std::chrono::steady_clock::time_point> auditWaitingSince; // no room for its next line
        std::chrono::steady_clock::time_point lastRequest; // when it connected or last sent a complete line

        bool isSubscribed() const { return intervalMs > 0 || auditSubscribed; }
    };

    void onAcceptable();
    // Checks the peer, then greets it or refuses it.
    void admit(server::UniqueFd fd);
    bool isPeerAllowed(uid_t uid, gid_t gid, pid_t pid) const;
    void refuse(server::UniqueFd fd, uid_t uid, pid_t pid, ErrorCode code, const std::string &why);
    void onClientEvent(uint64_t id, uint32_t events);
    void readFrom(Client &client);
    void handleLine(Client &client, const std::string &line);
    Json dispatch(Client &client, const Request &request);          // admin_commands.cpp
    Json runCommand(const Request &request, CommandResult &result); // admin_commands.cpp
    void audit(const Client &client, const Request &request, const Json &reply);
    // admin_audit.cpp: audit_subscribe / audit_unsubscribe, and the poll that pushes new audit lines.
    Json auditCommand(Client &client, const Request &request);
    void pollAudit();
    void readAudit();
    void pushAuditBacklog();
    void pushAuditTo(Client &client, std::chrono::steady_clock::time_point now);
    void forgetTakenAuditRecords();
    void stopAuditTailIfUnused();
    // admin_idle.cpp: the idle timeout, and making room for a newcomer when every place is taken.
    void closeIdleClients();
    bool makeRoomFor(uid_t uid, pid_t pid);
    // Appends a line; false if the client was dropped for letting its buffer overflow.
    bool send(Client &client, const Json &message);
    bool sendLine(Client &client, std::string line);
    void flush(Client &client);
    void updateInterest(Client &client);
    void startClosing(Client &client);
    void closeClient(uint64_t id);
    void schedulePush(Client &client);
    void pushStatus(uint64_t id);
    // The STATUS object for replies and pushes: a fresh snapshot (with /proc figures), or the one built less
    // than StatusReuseMs ago, so that pushes and replies due together share one /proc scan.
    const Json &sharedStatus();
    void sample();
    Client *find(uint64_t id);

    server::EventLoop &m_loop;
    AdminBackend &m_backend;
    server::UniqueFd m_listener;
    AdminOptions m_options;
    std::unordered_map<uint64_t, std::unique_ptr<Client>> m_clients;
    uint64_t m_nextClientId = 1;
    HistoryRing m_history;
    TransferRates m_rates;
    server::EventLoop::TimerId m_sampleTimer = 0;
    AuditTail m_auditTail;
    server::EventLoop::TimerId m_auditTimer = 0;
    AuditBacklog m_auditBacklog; // what some subscriber has not had yet; empty while no one subscribes
    AdminTimeouts m_timeouts;
    server::EventLoop::TimerId m_idleTimer = 0;
    Json m_sharedStatus;
    std::optional<std::chrono::steady_clock::time_point> m_sharedStatusTime; // unset: build afresh
};

} // namespace ferry::admin
