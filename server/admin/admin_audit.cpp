// The admin requests audit_subscribe and audit_unsubscribe (docs/ADMIN.md §4.4): the recent audit lines
// in the reply, then an `audit` event for each line appended after, read from the file by AuditTail and
// kept in the AuditBacklog until every subscriber has it.
#include "admin/admin_server.h"

#include "base/log.h"

#include <algorithm>

namespace ferry::admin {

namespace {

// An audit line as the JSON object it is; null if the line is not one (damaged, cut short by a full disk).
Json lineObject(const std::string &line)
{
    JsonParseResult parsed = parseJson(line);
    return parsed.value && parsed.value->is_object() ? std::move(*parsed.value) : Json();
}

} // namespace

Json AdminServer::auditCommand(Client &client, const Request &request)
{
    if (request.cmd == "audit_unsubscribe") {
        client.auditSubscribed = false;
        stopAuditTailIfUnused();
        return okReply(request);
    }
    if (m_auditTail.path().empty())
        return errorReply(request, ErrorCode::Conflict, "the audit log is off (--audit-log off)");
    int64_t count = 100;
    std::string error;
    if (intArg(request.body, "lines", 0, MaxAuditRecent, count, error) == ArgStatus::Invalid)
        return errorReply(request, ErrorCode::BadArgument, error);
    if (!m_auditTail.isFollowing()) {
        m_auditTail.start();
        m_auditTimer = m_loop.addTimer(std::chrono::milliseconds(AuditPollMs), [this] { pollAudit(); });
    }
    client.auditSubscribed = true;
    client.auditSeq = 0;
    client.auditNext = m_auditBacklog.end(); // what was read already is in `recent`, if among the newest
    client.auditWaitingSince.reset();
    // The reply is one message, and one over the output buffer's bound would drop the client as one that
    // does not read. Lines are as long as the paths clients ask for (up to 4 KiB each, a network client's
    // choice), so `recent` holds the newest lines within MaxAuditRecentBytes, however many were asked for.
    const std::vector<std::string> lines = m_auditTail.recent(size_t(count));
    size_t first = lines.size();
    for (size_t bytes = 0; first > 0 && bytes + lines[first - 1].size() < MaxAuditRecentBytes; --first)
        bytes += lines[first - 1].size() + 1;
    Json recent = Json::array();
    for (size_t i = first; i < lines.size(); ++i)
        if (Json object = lineObject(lines[i]); !object.is_null())
            recent.push_back(std::move(object));
    Json reply = okReply(request);
    reply["path"] = m_auditTail.path();
    reply["recent"] = std::move(recent);
    return reply;
}

// Reads the file only while the backlog is below its bound (AuditBacklog::MaxBytes), so a subscriber that
// takes nothing holds at most that much in memory; while more of the file waits and there is room, the
// next read is on the loop's next turn rather than AuditPollMs later.
void AdminServer::pollAudit()
{
    m_auditTimer = 0;
    pushAuditBacklog();
    if (m_auditTail.isFollowing() && !m_auditBacklog.isFull()) {
        readAudit();
        pushAuditBacklog();
    }
    if (!m_auditTail.isFollowing()) // closeClient() may have stopped it while pushing
        return;
    const bool readMore = m_auditTail.hasMore() && !m_auditBacklog.isFull();
    const int delayMs = readMore ? 0 : !m_auditBacklog.isEmpty() ? AuditRetryMs : AuditPollMs;
    m_auditTimer = m_loop.addTimer(std::chrono::milliseconds(delayMs), [this] { pollAudit(); });
}

void AdminServer::readAudit()
{
    for (const std::string &line : m_auditTail.poll())
        if (Json object = lineObject(line); !object.is_null())
            m_auditBacklog.append(dumpJson(object)); // the one dump of it, however many subscribers
}

// Gives each subscriber what it has not had of the backlog; then the backlog forgets what all have had.
void AdminServer::pushAuditBacklog()
{
    const auto now = std::chrono::steady_clock::now();
    std::vector<uint64_t> subscribers; // by id: pushing may close a client
    for (const auto &[id, client] : m_clients)
        if (client->auditSubscribed)
            subscribers.push_back(id);
    for (uint64_t id : subscribers)
        if (Client *client = find(id); client && client->auditSubscribed)
            pushAuditTo(*client, now);
    forgetTakenAuditRecords();
}

// Oldest first, and only while it has room below MaxAuditOutputBytes: a line is never skipped, it waits.
// One that has had no room for its next line for m_timeouts.auditStall is dropped.
void AdminServer::pushAuditTo(Client &client, std::chrono::steady_clock::time_point now)
{
    while (client.auditNext < m_auditBacklog.end()) {
        const std::string &record = m_auditBacklog.at(client.auditNext);
        if (client.output.size() + auditEventLineSize(client.auditSeq + 1, record) > MaxAuditOutputBytes) {
            if (!client.auditWaitingSince) {
                client.auditWaitingSince = now;
            } else if (now - *client.auditWaitingSince >= m_timeouts.auditStall) {
                LOG_WARN("admin: uid=%u pid=%d dropped: took no audit line for %lld ms while lines waited (%zu "
                         "bytes queued)",
                         unsigned(client.uid), int(client.pid), (long long)m_timeouts.auditStall.count(),
                         client.output.size());
                closeClient(client.id);
            }
            return;
        }
        ++client.auditNext;
        client.auditWaitingSince.reset();
        if (!sendLine(client, auditEventLine(++client.auditSeq, record)))
            return; // a failed send() closed it
    }
}

// Cheap when nothing is to go: the lowest position among the subscribers, O(clients).
void AdminServer::forgetTakenAuditRecords()
{
    uint64_t lowest = m_auditBacklog.end();
    for (const auto &[id, client] : m_clients)
        if (client->auditSubscribed)
            lowest = std::min(lowest, client->auditNext);
    m_auditBacklog.dropBefore(lowest);
}

void AdminServer::stopAuditTailIfUnused()
{
    if (!m_auditTail.isFollowing())
        return;
    for (const auto &[id, client] : m_clients)
        if (client->auditSubscribed)
            return;
    m_auditTail.stop();
    m_auditBacklog.clear();
    m_loop.cancelTimer(m_auditTimer);
    m_auditTimer = 0;
}

} // namespace ferry::admin
