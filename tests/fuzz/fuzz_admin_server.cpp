#include "fuzz_admin_server.h"

#include "admin/admin_server.h"
#include "adminproto/socket_path.h"
#include "base/log.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace ferry::fuzz {

namespace {

using admin::CommandResult;
using admin::ErrorCode;
using admin::Json;

// Stands in for the parent: the state the commands of docs/ADMIN.md §5 change, and a status to show.
class PoolStandIn : public admin::AdminBackend {
public:
    admin::StatusSnapshot status(bool) override
    {
        admin::StatusSnapshot s;
        s.nowMs = admin::wallClockMs();
        s.server.version = "fuzz";
        s.server.state = m_draining ? "draining" : "accepting";
        s.pool.limits = m_limits;
        s.pool.ratePerConnection = m_perConnection;
        s.pool.rateGlobal = m_global;
        for (int64_t slot = 0; slot < 2; ++slot) {
            admin::WorkerInfo w;
            w.slot = slot;
            w.pid = 1000 + slot;
            w.state = slot == 0 ? "sending" : "idle";
            w.path = slot == 0 ? "dir/\xFF name\n.bin" : ""; // bytes off a disk need not be UTF-8
            s.workers.push_back(w);
        }
        return s;
    }
    CommandResult setPoolLimits(const admin::PoolLimitsChange &change) override
    {
        admin::PoolLimitsInfo next = m_limits;
        next.minSpare = change.minSpare.value_or(next.minSpare);
        next.maxSpare = change.maxSpare.value_or(next.maxSpare);
        next.maxWorkers = change.maxWorkers.value_or(next.maxWorkers);
        next.maxRequests = change.maxRequests.value_or(next.maxRequests);
        if (next.minSpare > next.maxSpare)
            return CommandResult::failure(ErrorCode::BadArgument, "min_spare above max_spare");
        m_limits = next;
        return CommandResult::success(Json{{"limits", admin::toJson(m_limits)}});
    }
    CommandResult drain() override { return state(true); }
    CommandResult resume() override { return state(false); }
    CommandResult reload() override { return CommandResult::success(Json{{"generation", ++m_generation}}); }
    CommandResult killWorker(uint32_t slot, bool) override
    {
        if (slot >= 2)
            return CommandResult::failure(ErrorCode::NotFound, "no worker in slot " + std::to_string(slot));
        return CommandResult::success(Json{{"slot", slot}, {"pid", 1000 + slot}});
    }
    CommandResult setRateLimit(std::optional<uint64_t> perConnection, std::optional<uint64_t> global,
                               std::optional<uint64_t>) override
    {
        m_perConnection = int64_t(perConnection.value_or(uint64_t(m_perConnection)));
        m_global = int64_t(global.value_or(uint64_t(m_global)));
        return CommandResult::success(
            Json{{"rate_limit", {{"per_connection", m_perConnection}, {"global", m_global}}}});
    }
    CommandResult disconnect(std::optional<uint64_t> connection, std::optional<uint32_t>) override
    {
        if (connection && *connection != 1)
            return CommandResult::failure(ErrorCode::NotFound, "no open connection");
        return CommandResult::success(Json{{"connection", 1}});
    }

private:
    CommandResult state(bool draining)
    {
        m_draining = draining;
        return CommandResult::success(Json{{"state", draining ? "draining" : "accepting"}});
    }

    admin::PoolLimitsInfo m_limits{0, 2, 4, 0, 120};
    int64_t m_perConnection = 0, m_global = 0, m_generation = 1;
    bool m_draining = false;
};

[[noreturn]] void cannot(const char *what)
{
    std::perror(what);
    std::abort();
}

struct Plane {
    server::EventLoop loop;
    PoolStandIn backend;
    std::string socketPath;
    std::unique_ptr<admin::AdminServer> server;
};

Plane &plane()
{
    static Plane *instance = [] {
        server::log::setLevel(server::log::Level::Error); // every command writes an audit line otherwise
        auto *p = new Plane;
        const char *tmp = std::getenv("TMPDIR");
        std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/ferry-fuzz-admin-XXXXXX";
        if (!::mkdtemp(dir.data()))
            cannot("mkdtemp");
        p->socketPath = dir + "/admin.sock";
        admin::BoundSocket bound = admin::bindAdminSocket(p->socketPath);
        if (!bound.fd.isValid()) {
            std::fprintf(stderr, "%s\n", bound.error.c_str());
            std::abort();
        }
        p->server = std::make_unique<admin::AdminServer>(p->loop, p->backend, std::move(bound.fd),
                                                         admin::AdminOptions{p->socketPath, {}, {}});
        return p;
    }();
    return *instance;
}

} // namespace

std::vector<std::string> converse(const std::string &bytes)
{
    Plane &p = plane();
    sockaddr_un address{};
    admin::fillAddress(p.socketPath, address);
    server::UniqueFd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!client.isValid() || ::connect(client.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
        cannot("connect() to the fuzzed admin socket");
    // Inputs are a few KiB: the socket buffer takes them whole, so the write never waits for the loop.
    if (::send(client.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) != ssize_t(bytes.size()))
        cannot("send() to the fuzzed admin socket");
    ::shutdown(client.get(), SHUT_WR);

    std::string received;
    bool closed = false;
    if (p.loop.add(client.get(), EPOLLIN, [&](uint32_t) {
            char buffer[65536];
            for (;;) {
                const ssize_t n = ::recv(client.get(), buffer, sizeof buffer, 0);
                if (n > 0) {
                    received.append(buffer, size_t(n));
                    continue;
                }
                if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                    closed = true;
                    p.loop.stop();
                }
                return;
            }
        }) != 0)
        cannot("adding the fuzz client to the loop");
    const auto deadline = p.loop.addTimer(std::chrono::seconds(5), [&p] { p.loop.stop(); });
    p.loop.run();
    p.loop.cancelTimer(deadline);
    p.loop.remove(client.get());
    if (!closed) {
        std::fprintf(stderr, "fuzz invariant violated: the admin server did not close a half-closed client\n");
        std::abort();
    }
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t end; (end = received.find('\n', start)) != std::string::npos; start = end + 1)
        lines.push_back(received.substr(start, end - start));
    if (start != received.size()) {
        std::fprintf(stderr, "fuzz invariant violated: the admin server's output ends inside a line\n");
        std::abort();
    }
    return lines;
}

} // namespace ferry::fuzz
