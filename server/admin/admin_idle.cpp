// Idle admin clients (docs/ADMIN.md §1): a client with no subscription that sends no complete request for
// m_timeouts.idle is closed, and with every place taken a newcomer closes the longest-idle such client. So
// connections that connect and say nothing (a script that hangs, a leaked socket) never lock ferry-ctl and
// Ferry Admin out. A subscriber is never closed for being idle: it asked to be sent things, not to send.
#include "admin/admin_server.h"

#include "base/log.h"

#include <algorithm>

namespace ferry::admin {

namespace {

long long millisecondsBetween(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to)
{
    return (long long)std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

} // namespace

// O(clients) every quarter of the timeout (at most a second): 64 comparisons.
void AdminServer::closeIdleClients()
{
    m_idleTimer = 0;
    const auto now = std::chrono::steady_clock::now();
    std::vector<uint64_t> idle;
    for (const auto &[id, client] : m_clients)
        if (!client->isSubscribed() && now - client->lastRequest >= m_timeouts.idle)
            idle.push_back(id);
    for (uint64_t id : idle) {
        const Client &client = *find(id);
        LOG_INFO("admin: uid=%u pid=%d closed: idle, no request for %lld ms and no subscription",
                 unsigned(client.uid), int(client.pid), millisecondsBetween(client.lastRequest, now));
        closeClient(id);
    }
    const auto sweep = std::clamp(m_timeouts.idle / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
    m_idleTimer = m_loop.addTimer(sweep, [this] { closeIdleClients(); });
}

// True if a place was freed for the peer `uid`/`pid`: the client without a subscription that has been idle
// longest, if for m_timeouts.evictIdle at least (a script between a reply and its next request is not).
bool AdminServer::makeRoomFor(uid_t uid, pid_t pid)
{
    const auto now = std::chrono::steady_clock::now();
    const Client *oldest = nullptr;
    for (const auto &[id, client] : m_clients)
        if (!client->isSubscribed() && (!oldest || client->lastRequest < oldest->lastRequest))
            oldest = client.get();
    if (!oldest || now - oldest->lastRequest < m_timeouts.evictIdle)
        return false;
    LOG_INFO("admin: uid=%u pid=%d closed: idle for %lld ms, the longest of %zu admin clients, to make room "
             "for uid=%u pid=%d",
             unsigned(oldest->uid), int(oldest->pid), millisecondsBetween(oldest->lastRequest, now), m_clients.size(),
             unsigned(uid), int(pid));
    closeClient(oldest->id);
    return true;
}

} // namespace ferry::admin
