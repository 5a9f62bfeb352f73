// The admin requests audit_subscribe and audit_unsubscribe (docs/ADMIN.md §4.4): the recent audit lines
// in the reply, then an `audit` event for each line appended after, read from the file by AuditTail.
#include "admin/admin_server.h"

#include "base/log.h"

namespace ferry::admin {

namespace {

// An audit line as the JSON object it is; null if the line is not one (damaged, cut short by a full disk).
Json lineObject(const std::string &line)
{
    JsonParseResult parsed = parseJson(line);
    return parsed.value && parsed.value->is_object() ? std::move(*parsed.value) : Json();
}

Json auditEvent(uint64_t seq, const Json &record)
{
    Json message = event("audit");
    message["seq"] = int64_t(seq);
    message["record"] = record;
    return message;
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
    client.auditFrom = m_auditRead; // what was read already is in `recent`, if it is among the newest
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

// Reads the file only when everything read before went out, so at most one poll's lines wait in memory;
// while more of the file waits, the next read is on the loop's next turn rather than AuditPollMs later.
void AdminServer::pollAudit()
{
    m_auditTimer = 0;
    pushAuditBacklog();
    if (m_auditBacklog.empty() && m_auditTail.isFollowing()) {
        readAudit();
        pushAuditBacklog();
    }
    if (!m_auditTail.isFollowing()) // closeClient() may have stopped it while pushing
        return;
    const int delayMs = !m_auditBacklog.empty() ? AuditRetryMs : m_auditTail.hasMore() ? 0 : AuditPollMs;
    m_auditTimer = m_loop.addTimer(std::chrono::milliseconds(delayMs), [this] { pollAudit(); });
}

void AdminServer::readAudit()
{
    for (const std::string &line : m_auditTail.poll())
        if (Json object = lineObject(line); !object.is_null())
            m_auditBacklog.push_back({m_auditRead++, std::move(object)});
}

// Pushes the backlog oldest first, each record to every subscriber it is for at once, and only while each
// has room for it below MaxAuditOutputBytes: a line is never skipped for one subscriber and sent to
// another. One without room holds the rest back until it has read, or until it is dropped as stalled.
void AdminServer::pushAuditBacklog()
{
    while (!m_auditBacklog.empty()) {
        const AuditBacklogRecord &next = m_auditBacklog.front();
        std::vector<std::pair<uint64_t, std::string>> lines; // client id, its event line
        bool blocked = false;
        for (const auto &[id, client] : m_clients) {
            if (!client->auditSubscribed || next.index < client->auditFrom)
                continue;
            std::string line = toLine(auditEvent(client->auditSeq + 1, next.record));
            if (client->output.size() + line.size() <= MaxAuditOutputBytes) {
                lines.emplace_back(id, std::move(line));
                continue;
            }
            blocked = true;
            if (!client->auditWaitingSince)
                client->auditWaitingSince = std::chrono::steady_clock::now();
        }
        if (blocked) {
            if (dropStalledAuditSubscribers(std::chrono::steady_clock::now()))
                continue; // the others may all have room now
            return;
        }
        m_auditBacklog.pop_front();
        for (auto &[id, line] : lines)
            if (Client *client = find(id)) { // a failed send() closes only that client
                ++client->auditSeq;
                client->auditWaitingSince.reset();
                sendLine(*client, std::move(line));
            }
    }
}

// True if it closed a subscriber that had no room for the oldest waiting line for m_timeouts.auditStall.
bool AdminServer::dropStalledAuditSubscribers(std::chrono::steady_clock::time_point now)
{
    std::vector<uint64_t> stalled;
    for (const auto &[id, client] : m_clients)
        if (client->auditSubscribed && client->auditWaitingSince
            && now - *client->auditWaitingSince >= m_timeouts.auditStall)
            stalled.push_back(id);
    for (uint64_t id : stalled) {
        const Client &client = *find(id);
        LOG_WARN("admin: uid=%u pid=%d dropped: took no audit line for %lld ms while lines waited (%zu bytes "
                 "queued)",
                 unsigned(client.uid), int(client.pid), (long long)m_timeouts.auditStall.count(), client.output.size());
        closeClient(id);
    }
    return !stalled.empty();
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
    m_auditRead = 0;
    m_loop.cancelTimer(m_auditTimer);
    m_auditTimer = 0;
}

} // namespace ferry::admin
