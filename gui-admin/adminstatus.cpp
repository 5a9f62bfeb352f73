#include "adminstatus.h"

#include <QJsonArray>

#include <algorithm>

namespace ferry::admingui {

namespace {

qint64 integer(const QJsonObject &json, const char *key, qint64 fallback = 0)
{
    const QJsonValue value = json.value(QLatin1String(key));
    return value.isDouble() ? value.toInteger(fallback) : fallback;
}

QString text(const QJsonObject &json, const char *key)
{
    return json.value(QLatin1String(key)).toString();
}

void readServer(AdminStatus &s, const QJsonObject &server)
{
    s.version = text(server, "version");
    s.pid = integer(server, "pid");
    s.startedMs = integer(server, "started_ms");
    s.uptimeS = integer(server, "uptime_s");
    s.generation = integer(server, "generation");
    s.listen = text(server, "listen");
    s.identity = text(server, "identity");
    s.plaintext = text(server, "plaintext");
    s.root = text(server, "root");
    s.adminSocket = text(server, "admin_socket");
    s.serverState = text(server, "state");
}

void readPool(AdminStatus &s, const QJsonObject &pool)
{
    s.total = int(integer(pool, "total"));
    s.idle = int(integer(pool, "idle"));
    s.busy = int(integer(pool, "busy"));
    s.starting = int(integer(pool, "starting"));
    s.stopping = int(integer(pool, "stopping"));
    s.capacity = int(integer(pool, "capacity"));
    s.maxWorkersReached = integer(pool, "max_workers_reached");
    s.pending = integer(pool, "pending");
    s.pendingMax = integer(pool, "pending_max");
    s.pendingLimit = integer(pool, "pending_limit");
    s.parked = integer(pool, "parked");
    s.accepted = integer(pool, "accepted");
    s.rejectedBusy = integer(pool, "rejected_busy");
    s.bytesSent = integer(pool, "bytes_sent");
    s.throughputBps = integer(pool, "throughput_bps");
    const QJsonObject breaker = pool.value(QLatin1String("breaker")).toObject();
    s.breakerState = text(breaker, "state");
    s.recentCrashes = integer(breaker, "recent_crashes");
    s.backoffMs = integer(breaker, "backoff_ms");
    s.limits = PoolLimits::fromJson(pool.value(QLatin1String("limits")).toObject());
    const QJsonObject rate = pool.value(QLatin1String("rate_limit")).toObject();
    s.ratePerConnection = integer(rate, "per_connection");
    s.rateGlobal = integer(rate, "global");
}

} // namespace

WorkerStatus WorkerStatus::fromJson(const QJsonObject &json)
{
    WorkerStatus w;
    w.slot = int(integer(json, "slot"));
    w.pid = integer(json, "pid");
    w.generation = integer(json, "generation");
    w.stateName = text(json, "state");
    w.state = workerStateFromString(w.stateName);
    w.peer = text(json, "peer");
    w.connection = integer(json, "connection");
    w.path = text(json, "path");
    w.bytesSent = integer(json, "bytes_sent");
    w.bytesTotal = integer(json, "bytes_total");
    w.throughputBps = integer(json, "throughput_bps", -1);
    w.transferStartMs = integer(json, "transfer_start_ms");
    w.lastProgressMs = integer(json, "last_progress_ms");
    w.requests = integer(json, "requests");
    w.openFds = integer(json, "open_fds", -1);
    w.rssBytes = integer(json, "rss_bytes", -1);
    w.cpuMs = integer(json, "cpu_ms", -1);
    w.lastExit = text(json, "last_exit");
    return w;
}

PoolLimits PoolLimits::fromJson(const QJsonObject &json)
{
    PoolLimits l;
    l.minSpare = int(integer(json, "min_spare"));
    l.maxSpare = int(integer(json, "max_spare"));
    l.maxWorkers = int(integer(json, "max_workers"));
    l.maxRequests = integer(json, "max_requests");
    l.stallTimeoutS = integer(json, "stall_timeout_s");
    return l;
}

AdminStatus AdminStatus::fromJson(const QJsonObject &json)
{
    AdminStatus s;
    s.raw = json;
    s.valid = json.contains(QLatin1String("server")) && json.contains(QLatin1String("pool"));
    s.nowMs = integer(json, "now_ms");
    readServer(s, json.value(QLatin1String("server")).toObject());
    readPool(s, json.value(QLatin1String("pool")).toObject());
    const QJsonArray workers = json.value(QLatin1String("workers")).toArray();
    s.workers.reserve(workers.size());
    for (const QJsonValue &worker : workers)
        s.workers.append(WorkerStatus::fromJson(worker.toObject()));
    // The contract orders workers by slot; sorting anyway keeps the table's merge simple and safe.
    std::stable_sort(s.workers.begin(), s.workers.end(),
                     [](const WorkerStatus &a, const WorkerStatus &b) { return a.slot < b.slot; });
    return s;
}

} // namespace ferry::admingui
