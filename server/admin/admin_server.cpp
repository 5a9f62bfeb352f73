#include "admin/admin_server.h"

#include "base/log.h"
#include "base/syscall.h"

#include "ferry_version.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace ferry::admin {

using server::UniqueFd;

namespace {
constexpr size_t ReadChunk = 64 * 1024;
constexpr int ReadsPerEvent = 4;          // then yield to the loop; level-triggered epoll calls us again
constexpr int LingerMs = 1000;            // after an error line, how long to wait for the peer to hang up
constexpr int SampleIntervalMs = 1000;

// Supplementary groups of a peer, from /proc/PID/status ("Groups: 4 24 27").
bool peerHasGroup(pid_t pid, gid_t group)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/status";
    FILE *f = std::fopen(path.c_str(), "re");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, "Groups:", 7) != 0)
            continue;
        char *cursor = line + 7;
        char *end = nullptr;
        for (unsigned long g = std::strtoul(cursor, &end, 10); end != cursor; g = std::strtoul(cursor, &end, 10)) {
            found = found || g == group;
            cursor = end;
        }
        break;
    }
    std::fclose(f);
    return found;
}
} // namespace

AdminServer::AdminServer(server::EventLoop &loop, AdminBackend &backend, UniqueFd listener, AdminOptions options)
    : m_loop(loop), m_backend(backend), m_listener(std::move(listener)), m_options(std::move(options)),
      m_auditTail(m_options.auditLogPath), m_timeouts(adminTimeouts())
{
    // Start-up: an admin socket nobody answers would leave ferry-ctl hanging; refuse to start instead.
    if (int err = m_loop.add(m_listener.get(), EPOLLIN, [this](uint32_t) { onAcceptable(); }); err != 0)
        throw std::system_error(err, std::generic_category(),
                                "admin: epoll_ctl() adding admin socket " + m_options.socketPath);
    sample();
    closeIdleClients(); // and every so often after
}

AdminServer::~AdminServer()
{
    while (!m_clients.empty())
        closeClient(m_clients.begin()->first);
    m_loop.cancelTimer(m_sampleTimer);
    m_loop.cancelTimer(m_auditTimer);
    m_loop.cancelTimer(m_idleTimer);
    m_loop.remove(m_listener.get());
    m_listener.reset();
    ::unlink(m_options.socketPath.c_str());
}

AdminServer::Client *AdminServer::find(uint64_t id)
{
    auto it = m_clients.find(id);
    return it == m_clients.end() ? nullptr : it->second.get();
}

bool AdminServer::isPeerAllowed(uid_t uid, gid_t gid, pid_t pid) const
{
    if (uid == 0 || uid == ::geteuid())
        return true;
    if (!m_options.adminGroup)
        return false;
    return gid == *m_options.adminGroup || peerHasGroup(pid, *m_options.adminGroup);
}

void AdminServer::refuse(UniqueFd fd, uid_t uid, pid_t pid, ErrorCode code, const std::string &why)
{
    LOG_WARN("admin: uid=%u pid=%d refused: %s (%s)", unsigned(uid), int(pid), errorCodeName(code), why.c_str());
    const std::string line = toLine(errorReply(nullptr, {}, code, why));
    // One small line into an empty socket buffer: it fits; if not, the peer simply sees the close.
    [[maybe_unused]] const ssize_t n =
        server::retryOnEintr([&] { return ::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT); });
    ::shutdown(fd.get(), SHUT_WR);
}

void AdminServer::onAcceptable()
{
    for (;;) {
        UniqueFd fd(server::retryOnEintr(
            [&] { return ::accept4(m_listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK); }));
        if (!fd) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
                LOG_WARN("admin: accept4() on %s: %s", m_options.socketPath.c_str(), std::strerror(errno));
            return;
        }
        admit(std::move(fd));
    }
}

void AdminServer::admit(UniqueFd fd)
{
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        LOG_WARN("admin: getsockopt(SO_PEERCRED): %s", std::strerror(errno));
        return;
    }
    if (!isPeerAllowed(cred.uid, cred.gid, cred.pid)) {
        std::string who = "not uid " + std::to_string(::geteuid()) + " or root";
        if (m_options.adminGroup)
            who += " or group " + m_options.adminGroupName;
        refuse(std::move(fd), cred.uid, cred.pid, ErrorCode::PermissionDenied, who);
        return;
    }
    if (m_clients.size() >= MaxAdminClients && !makeRoomFor(cred.uid, cred.pid)) {
        refuse(std::move(fd), cred.uid, cred.pid, ErrorCode::Overloaded, "too many admin clients");
        return;
    }
    auto client = std::make_unique<Client>();
    client->id = m_nextClientId++;
    client->uid = cred.uid;
    client->pid = cred.pid;
    client->fd = std::move(fd);
    client->lastRequest = std::chrono::steady_clock::now();
    const uint64_t id = client->id;
    if (int err = m_loop.add(client->fd.get(), EPOLLIN, [this, id](uint32_t ev) { onClientEvent(id, ev); }); err != 0) {
        LOG_WARN("admin: epoll_ctl() adding admin client: %s", std::strerror(err));
        return;
    }
    Client &c = *client;
    m_clients.emplace(id, std::move(client));
    LOG_DEBUG("admin: uid=%u pid=%d connected", unsigned(cred.uid), int(cred.pid));
    Json hello = event("hello");
    hello["server"] = "ferry-server";
    hello["version"] = FERRY_VERSION;
    hello["pid"] = int64_t(::getpid());
    hello["protocol"] = ProtocolVersion;
    send(c, hello);
}

void AdminServer::onClientEvent(uint64_t id, uint32_t events)
{
    Client *client = find(id);
    if (!client)
        return;
    if (events & EPOLLOUT) {
        flush(*client);
        if (!(client = find(id)))
            return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        readFrom(*client);
}

void AdminServer::readFrom(Client &client)
{
    const uint64_t id = client.id;
    char buffer[ReadChunk];
    for (int i = 0; i < ReadsPerEvent; ++i) {
        const ssize_t n =
            server::retryOnEintr([&] { return ::recv(client.fd.get(), buffer, sizeof buffer, MSG_DONTWAIT); });
        if (n == 0 && !client.output.empty() && !client.peerClosed) {
            // Half-closed after its requests (e.g. `socat` with a pipe): finish the replies, then close.
            client.peerClosed = true;
            if (!client.closing)
                startClosing(client);
            if (int err = m_loop.modify(client.fd.get(), EPOLLOUT); err != 0) {
                LOG_WARN("admin: epoll_ctl() watching admin client for output: %s", std::strerror(err));
                closeClient(id);
            }
            return;
        }
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            closeClient(id); // the peer left (or reset): nothing more to say to it
            return;
        }
        if (n < 0)
            return;
        if (client.closing)
            continue; // discarding until the peer hangs up or the linger timer fires
        client.input.append(std::string_view(buffer, size_t(n)));
        std::string line;
        for (;;) {
            const LineBuffer::Next next = client.input.next(line);
            if (next == LineBuffer::Next::NeedMore)
                break;
            if (next == LineBuffer::Next::TooLong) {
                LOG_WARN("admin: uid=%u pid=%d error: line_too_long", unsigned(client.uid), int(client.pid));
                if (send(client, errorReply(nullptr, {}, ErrorCode::LineTooLong,
                                            "line longer than " + std::to_string(MaxLineBytes) + " bytes")))
                    startClosing(client);
                return;
            }
            handleLine(client, line);
            if (!find(id) || client.closing)
                return;
        }
    }
}

void AdminServer::handleLine(Client &client, const std::string &line)
{
    client.lastRequest = std::chrono::steady_clock::now(); // even a bad line: the client is there
    auto parsed = parseRequest(line);
    if (auto *error = std::get_if<RequestError>(&parsed)) {
        LOG_WARN("admin: uid=%u pid=%d error: %s (%s)", unsigned(client.uid), int(client.pid),
                 errorCodeName(error->code), error->message.c_str());
        if (send(client, errorReply(*error)) && closesConnection(error->code))
            startClosing(client);
        return;
    }
    const Request &request = std::get<Request>(parsed);
    const uint64_t id = client.id;
    const Json reply = dispatch(client, request);
    if (!send(client, reply))
        return;
    if (client.pushNow && find(id)) {
        client.pushNow = false;
        pushStatus(id);
    }
}

bool AdminServer::send(Client &client, const Json &message)
{
    return sendLine(client, toLine(message));
}

bool AdminServer::sendLine(Client &client, std::string line)
{
    if (client.output.size() + line.size() > MaxOutputBytes) {
        LOG_WARN("admin: uid=%u pid=%d dropped: not reading its replies (%zu bytes queued)", unsigned(client.uid),
                 int(client.pid), client.output.size());
        closeClient(client.id);
        return false;
    }
    client.output += line;
    const uint64_t id = client.id;
    flush(client);
    return find(id) != nullptr;
}

void AdminServer::flush(Client &client)
{
    while (!client.output.empty()) {
        const ssize_t n = server::retryOnEintr([&] {
            return ::send(client.fd.get(), client.output.data(), client.output.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        });
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            closeClient(client.id);
            return;
        }
        client.output.erase(0, size_t(n));
    }
    if (client.output.empty() && client.closing) {
        if (client.peerClosed) {
            closeClient(client.id); // everything said, and the peer has nothing more to say
            return;
        }
        ::shutdown(client.fd.get(), SHUT_WR); // the error line is out; the peer sees EOF after it
    }
    if (!client.peerClosed)
        updateInterest(client);
}

void AdminServer::updateInterest(Client &client)
{
    const bool wantsWrite = !client.output.empty();
    if (wantsWrite != client.wantsWrite) {
        client.wantsWrite = wantsWrite;
        if (int err = m_loop.modify(client.fd.get(), EPOLLIN | (wantsWrite ? EPOLLOUT : 0u)); err != 0) {
            LOG_WARN("admin: epoll_ctl() changing what is watched for admin client: %s", std::strerror(err));
            closeClient(client.id); // its replies could never be flushed
        }
    }
}

// After an error that ends the conversation the rest of the input is discarded (closing at once with
// unread input would reset the connection and could lose the error line on the way).
void AdminServer::startClosing(Client &client)
{
    client.closing = true;
    client.intervalMs = 0;
    m_loop.cancelTimer(client.pushTimer);
    client.pushTimer = 0;
    const uint64_t id = client.id;
    client.lingerTimer = m_loop.addTimer(std::chrono::milliseconds(LingerMs), [this, id] {
        if (Client *c = find(id)) {
            c->lingerTimer = 0;
            closeClient(id);
        }
    });
    if (client.output.empty())
        ::shutdown(client.fd.get(), SHUT_WR);
}

void AdminServer::closeClient(uint64_t id)
{
    auto it = m_clients.find(id);
    if (it == m_clients.end())
        return;
    Client &client = *it->second;
    m_loop.cancelTimer(client.pushTimer);
    m_loop.cancelTimer(client.lingerTimer);
    m_loop.remove(client.fd.get());
    m_clients.erase(it); // closes the fd
    stopAuditTailIfUnused();
}

void AdminServer::schedulePush(Client &client)
{
    const uint64_t id = client.id;
    client.pushTimer = m_loop.addTimer(std::chrono::milliseconds(client.intervalMs), [this, id] {
        if (Client *c = find(id)) {
            c->pushTimer = 0;
            pushStatus(id);
        }
    });
}

void AdminServer::pushStatus(uint64_t id)
{
    Client *client = find(id);
    if (!client || client->intervalMs <= 0)
        return;
    Json message = event("status");
    message["seq"] = int64_t(++client->seq);
    message["status"] = sharedStatus();
    if (!send(*client, message))
        return;
    schedulePush(*client);
}

StatusSnapshot AdminServer::snapshot(bool withProcInfo)
{
    StatusSnapshot status = m_backend.status(withProcInfo);
    status.pool.throughputBps = m_history.lastThroughput();
    for (WorkerInfo &worker : status.workers)
        worker.throughputBps = m_rates.rateOf(worker, status.nowMs);
    status.server.adminSocket = m_options.socketPath;
    return status;
}

// Why share: a snapshot reads /proc three times per worker, on the parent's loop. Built for each reply and
// each push, N subscribers would cost N scans per tick; pushes whose timers fire together (and status
// requests among them) share one instead. Each subscriber keeps its own timer and seq, so subscribers that
// are out of step still pay a scan each. Commands drop the shared one (dispatch()), so a `status` after
// `drain` shows "draining".
const Json &AdminServer::sharedStatus()
{
    const auto now = std::chrono::steady_clock::now();
    if (!m_sharedStatusTime || now - *m_sharedStatusTime >= std::chrono::milliseconds(StatusReuseMs)) {
        m_sharedStatus = toJson(snapshot(true));
        m_sharedStatusTime = now;
    }
    return m_sharedStatus;
}

void AdminServer::sample()
{
    const StatusSnapshot s = m_backend.status(false);
    m_history.record(s.nowMs, {s.pool.bytesSent, s.pool.accepted, s.pool.rejectedBusy}, s.pool.busy, s.pool.pending,
                     s.pool.parked);
    m_rates.record(s.nowMs, s.workers);
    m_sampleTimer = m_loop.addTimer(std::chrono::milliseconds(SampleIntervalMs), [this] { sample(); });
}

} // namespace ferry::admin
