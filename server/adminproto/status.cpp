#include "adminproto/status.h"

#include <cstdio>
#include <ctime>
#include <dirent.h>
#include <string>
#include <unistd.h>

namespace ferry::admin {

Json toJson(const PoolLimitsInfo &limits)
{
    Json j = Json::object();
    j.set("min_spare", limits.minSpare).set("max_spare", limits.maxSpare).set("max_workers", limits.maxWorkers);
    j.set("max_requests", limits.maxRequests).set("stall_timeout_s", limits.stallTimeoutS);
    return j;
}

namespace {

Json serverJson(const ServerInfo &s, int64_t nowMs)
{
    Json j = Json::object();
    j.set("version", s.version).set("pid", s.pid).set("started_ms", s.startedMs);
    j.set("uptime_s", s.startedMs > 0 ? (nowMs - s.startedMs) / 1000 : 0);
    j.set("generation", s.generation).set("listen", s.listen).set("root", s.root);
    j.set("admin_socket", s.adminSocket).set("state", s.state);
    j.set("identity", s.identity).set("plaintext", s.plaintext);
    return j;
}

Json poolJson(const PoolInfo &p)
{
    Json j = Json::object();
    j.set("total", p.total).set("idle", p.idle).set("busy", p.busy).set("starting", p.starting);
    j.set("stopping", p.stopping).set("capacity", p.capacity).set("max_workers_reached", p.maxWorkersReached);
    j.set("pending", p.pending).set("pending_max", p.pendingMax).set("pending_limit", p.pendingLimit);
    j.set("parked", p.parked).set("accepted", p.accepted).set("rejected_busy", p.rejectedBusy);
    j.set("bytes_sent", p.bytesSent).set("throughput_bps", p.throughputBps);
    j.set("breaker", Json::object()
                         .set("state", p.breakerState)
                         .set("recent_crashes", p.recentCrashes)
                         .set("backoff_ms", p.backoffMs));
    j.set("limits", toJson(p.limits));
    j.set("rate_limit", Json::object().set("per_connection", p.ratePerConnection).set("global", p.rateGlobal));
    return j;
}

} // namespace

Json toJson(const WorkerInfo &w)
{
    Json j = Json::object();
    j.set("slot", w.slot).set("pid", w.pid).set("generation", w.generation).set("state", w.state);
    j.set("peer", w.peer).set("connection", w.connection).set("path", w.path).set("security", w.security);
    j.set("bytes_sent", w.bytesSent).set("bytes_total", w.bytesTotal);
    j.set("transfer_start_ms", w.transferStartMs).set("last_progress_ms", w.lastProgressMs);
    j.set("requests", w.requests).set("open_fds", w.openFds).set("rss_bytes", w.rssBytes);
    j.set("cpu_ms", w.cpuMs).set("last_exit", w.lastExit);
    return j;
}

Json toJson(const StatusSnapshot &status)
{
    Json workers = Json::array();
    for (const WorkerInfo &w : status.workers)
        workers.push(toJson(w));
    Json j = Json::object();
    j.set("now_ms", status.nowMs);
    j.set("server", serverJson(status.server, status.nowMs));
    j.set("pool", poolJson(status.pool));
    j.set("workers", std::move(workers));
    return j;
}

namespace {

int64_t countOpenFds(int64_t pid)
{
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR *d = ::opendir(dir.c_str());
    if (!d)
        return -1;
    int64_t count = 0;
    while (const dirent *entry = ::readdir(d)) {
        if (entry->d_name[0] != '.')
            ++count;
    }
    ::closedir(d);
    return count;
}

// Reads a small /proc text file whole (they are generated, never large).
std::string readSmallFile(const std::string &path)
{
    std::string text;
    if (FILE *f = std::fopen(path.c_str(), "re")) {
        char buf[1024];
        size_t n = std::fread(buf, 1, sizeof buf, f);
        text.assign(buf, n);
        std::fclose(f);
    }
    return text;
}

} // namespace

ProcInfo readProcInfo(int64_t pid)
{
    ProcInfo info;
    if (pid <= 0)
        return info;
    info.openFds = countOpenFds(pid);
    const std::string base = "/proc/" + std::to_string(pid);
    long long sizePages = 0, residentPages = 0;
    if (std::sscanf(readSmallFile(base + "/statm").c_str(), "%lld %lld", &sizePages, &residentPages) == 2)
        info.rssBytes = residentPages * ::sysconf(_SC_PAGESIZE);
    // Fields 14 and 15 (utime, stime) follow the command name, which may itself contain spaces or ')'.
    const std::string stat = readSmallFile(base + "/stat");
    const size_t close = stat.rfind(')');
    unsigned long long utime = 0, stime = 0;
    if (close != std::string::npos
        && std::sscanf(stat.c_str() + close + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                       &stime) == 2) {
        const long ticks = ::sysconf(_SC_CLK_TCK);
        info.cpuMs = ticks > 0 ? static_cast<int64_t>((utime + stime) * 1000 / static_cast<unsigned long long>(ticks))
                               : -1;
    }
    return info;
}

int64_t wallClockMs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

} // namespace ferry::admin
