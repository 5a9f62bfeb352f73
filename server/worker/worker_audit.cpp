// WorkerLoop, the audit log: a line for every request this worker finished, and for a stream it refused.
// The handler says what was asked and how it ended; the connection says who asked.
//
// The lines of a loop turn are gathered and written together (audit_log.h), so flushAudit() runs
// wherever the worker may wait: before epoll_wait (waitAndServe), before a long response, which may
// sleep in poll() or in a rate limit (beginLongWork), before a message to the parent, which may block
// (send), and before the worker exits (run). A line is therefore in the file before the worker
// sleeps, and one killed while it waits has lost nothing it finished.
#include "worker/worker_loop.h"

#include "audit/audit_time.h"

namespace ferry::server {

namespace {

// "TLSv1.3" from the transport's "TLSv1.3 TLS_AES_128_GCM_SHA256"; "none" for plaintext.
std::string tlsVersion(const Transport &transport)
{
    std::string security = transport.security();
    if (!security.starts_with("TLS"))
        return "none";
    return security.substr(0, security.find(' '));
}

} // namespace

void WorkerLoop::fillIdentity(const Connection &connection, audit::Record &record)
{
    // The one place a record learns who asked. The peer is what the parent handed over with the
    // connection, as the scoreboard shows it (the real client's address once a proxy header names it).
    // The token is the one the connection's grant names (after AUTH), never its secret.
    record.peer = connection.session.peer;
    record.tls = tlsVersion(*connection.transport);
    record.tokenId = connection.session.access.tokenId;
    record.tokenLabel = connection.session.access.tokenLabel;
}

void WorkerLoop::auditRequest(const Connection &connection, audit::Record record, int64_t startNs)
{
    if (!m_context.audit || record.request.empty())
        return;
    record.timeMs = audit::wallClockMs();
    record.durationMs = uint64_t(std::max<int64_t>(0, monotonicNs() - startNs) / 1'000'000);
    fillIdentity(connection, record);
    m_context.audit->add(record);
}

void WorkerLoop::flushAudit()
{
    if (m_context.audit)
        m_context.audit->flush();
}

} // namespace ferry::server
