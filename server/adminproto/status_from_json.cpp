// Reading a STATUS object back (the inverse of status.cpp's toJson), for clients such as Ferry Admin.
// Every read goes through json.h's non-throwing members, so a hostile or newer server's status cannot
// throw: a field of the wrong type reads as its default.
#include "adminproto/status.h"

#include <algorithm>

namespace ferry::admin {

namespace {

// intMember() with a fallback other than 0, for the fields whose "unknown" is -1.
int64_t intOr(const Json &object, std::string_view key, int64_t fallback)
{
    const Json *value = member(object, key);
    return value && value->is_number() ? intMember(object, key) : fallback;
}

const Json &objectMember(const Json &object, std::string_view key)
{
    static const Json empty = Json::object();
    const Json *value = member(object, key);
    return value && value->is_object() ? *value : empty;
}

ServerInfo serverFromJson(const Json &j)
{
    ServerInfo s;
    s.version = textMember(j, "version");
    s.pid = intMember(j, "pid");
    s.startedMs = intMember(j, "started_ms");
    s.generation = intMember(j, "generation");
    s.listen = textMember(j, "listen");
    s.root = textMember(j, "root");
    s.adminSocket = textMember(j, "admin_socket");
    s.state = textMember(j, "state");
    s.identity = textMember(j, "identity");
    s.plaintext = textMember(j, "plaintext");
    return s;
}

PoolInfo poolFromJson(const Json &j)
{
    PoolInfo p;
    p.total = intMember(j, "total");
    p.idle = intMember(j, "idle");
    p.busy = intMember(j, "busy");
    p.starting = intMember(j, "starting");
    p.stopping = intMember(j, "stopping");
    p.capacity = intMember(j, "capacity");
    p.maxWorkersReached = intMember(j, "max_workers_reached");
    p.pending = intMember(j, "pending");
    p.pendingMax = intMember(j, "pending_max");
    p.pendingLimit = intMember(j, "pending_limit");
    p.parked = intMember(j, "parked");
    p.accepted = intMember(j, "accepted");
    p.rejectedBusy = intMember(j, "rejected_busy");
    p.bytesSent = intMember(j, "bytes_sent");
    p.throughputBps = intMember(j, "throughput_bps");
    const Json &breaker = objectMember(j, "breaker");
    p.breakerState = textMember(breaker, "state");
    p.recentCrashes = intMember(breaker, "recent_crashes");
    p.backoffMs = intMember(breaker, "backoff_ms");
    p.limits = poolLimitsFromJson(objectMember(j, "limits"));
    const Json &rate = objectMember(j, "rate_limit");
    p.ratePerConnection = intMember(rate, "per_connection");
    p.rateGlobal = intMember(rate, "global");
    p.ratePerIp = intMember(rate, "per_ip"); // 0 from a server that predates it: unlimited
    return p;
}

} // namespace

PoolLimitsInfo poolLimitsFromJson(const Json &j)
{
    PoolLimitsInfo l;
    l.minSpare = intMember(j, "min_spare");
    l.maxSpare = intMember(j, "max_spare");
    l.maxWorkers = intMember(j, "max_workers");
    l.maxRequests = intMember(j, "max_requests");
    l.stallTimeoutS = intMember(j, "stall_timeout_s");
    return l;
}

WorkerInfo workerFromJson(const Json &j)
{
    WorkerInfo w;
    w.slot = intMember(j, "slot");
    w.pid = intMember(j, "pid");
    w.generation = intMember(j, "generation");
    w.state = textMember(j, "state");
    w.peer = textMember(j, "peer");
    w.connection = intMember(j, "connection");
    w.path = textMember(j, "path");
    w.security = textMember(j, "security");
    w.token = textMember(j, "token");
    w.tokenLabel = textMember(j, "token_label");
    w.bytesSent = intMember(j, "bytes_sent");
    w.bytesTotal = intMember(j, "bytes_total");
    w.throughputBps = intOr(j, "throughput_bps", -1);
    w.transferStartMs = intMember(j, "transfer_start_ms");
    w.lastProgressMs = intMember(j, "last_progress_ms");
    w.requests = intMember(j, "requests");
    w.openFds = intOr(j, "open_fds", -1);
    w.rssBytes = intOr(j, "rss_bytes", -1);
    w.cpuMs = intOr(j, "cpu_ms", -1);
    w.lastExit = textMember(j, "last_exit");
    return w;
}

std::optional<StatusSnapshot> statusFromJson(const Json &j)
{
    const Json *server = member(j, "server");
    const Json *pool = member(j, "pool");
    if (!server || !server->is_object() || !pool || !pool->is_object())
        return std::nullopt;
    StatusSnapshot s;
    s.nowMs = intMember(j, "now_ms");
    s.server = serverFromJson(*server);
    s.pool = poolFromJson(*pool);
    for (const Json &worker : arrayMember(j, "workers"))
        s.workers.push_back(workerFromJson(worker));
    // The contract orders workers by slot; sorting anyway keeps a client's merge by slot simple and safe.
    std::stable_sort(s.workers.begin(), s.workers.end(),
                     [](const WorkerInfo &a, const WorkerInfo &b) { return a.slot < b.slot; });
    return s;
}

} // namespace ferry::admin
