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

void AdminServer::pollAudit()
{
    m_auditTimer = 0;
    std::vector<Json> records;
    for (const std::string &line : m_auditTail.poll())
        if (Json object = lineObject(line); !object.is_null())
            records.push_back(std::move(object));
    std::vector<uint64_t> subscribers;
    for (const auto &[id, client] : m_clients)
        if (client->auditSubscribed)
            subscribers.push_back(id);
    for (uint64_t id : subscribers)
        for (const Json &record : records) {
            Client *client = find(id);
            if (!client || !client->auditSubscribed)
                break; // dropped for not reading, or gone
            Json message = event("audit");
            message["seq"] = int64_t(++client->auditSeq);
            message["record"] = record;
            send(*client, message);
        }
    if (m_auditTail.isFollowing()) // closeClient() may have stopped it while pushing
        m_auditTimer = m_loop.addTimer(std::chrono::milliseconds(AuditPollMs), [this] { pollAudit(); });
}

void AdminServer::stopAuditTailIfUnused()
{
    if (!m_auditTail.isFollowing())
        return;
    for (const auto &[id, client] : m_clients)
        if (client->auditSubscribed)
            return;
    m_auditTail.stop();
    m_loop.cancelTimer(m_auditTimer);
    m_auditTimer = 0;
}

} // namespace ferry::admin
