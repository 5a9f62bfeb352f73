#include "adminproto/status.h"

#include <cstdio>
#include <ctime>
#include <dirent.h>
#include <string>
#include <unistd.h>

namespace ferry::admin {

Json toJson(const PoolLimitsInfo &limits)
{
    return Json{{"min_spare", limits.minSpare},       {"max_spare", limits.maxSpare},
                {"max_workers", limits.maxWorkers},   {"max_requests", limits.maxRequests},
                {"stall_timeout_s", limits.stallTimeoutS}};
}

namespace {

Json serverJson(const ServerInfo &s, int64_t uptimeS)
{
    return Json{{"version", s.version},
                {"pid", s.pid},
                {"started_ms", s.startedMs},
                {"uptime_s", uptimeS},
                {"generation", s.generation},
                {"listen", s.listen},
                {"root", s.root},
                {"admin_socket", s.adminSocket},
                {"state", s.state},
                {"identity", s.identity},
                {"plaintext", s.plaintext}};
}

Json poolJson(const PoolInfo &p)
{
    return Json{{"total", p.total},
                {"idle", p.idle},
                {"busy", p.busy},
                {"starting", p.starting},
                {"stopping", p.stopping},
                {"capacity", p.capacity},
                {"max_workers_reached", p.maxWorkersReached},
                {"pending", p.pending},
                {"pending_max", p.pendingMax},
                {"pending_limit", p.pendingLimit},
                {"parked", p.parked},
                {"accepted", p.accepted},
                {"rejected_busy", p.rejectedBusy},
                {"bytes_sent", p.bytesSent},
                {"throughput_bps", p.throughputBps},
                {"breaker",
                 {{"state", p.breakerState}, {"recent_crashes", p.recentCrashes}, {"backoff_ms", p.backoffMs}}},
                {"limits", toJson(p.limits)},
                {"rate_limit",
                 {{"per_connection", p.ratePerConnection}, {"global", p.rateGlobal}, {"per_ip", p.ratePerIp}}}};
}

} // namespace

Json toJson(const WorkerInfo &w)
{
    return Json{{"slot", w.slot},
                {"pid", w.pid},
                {"generation", w.generation},
                {"state", w.state},
                {"peer", w.peer},
                {"connection", w.connection},
                {"path", w.path},
                {"security", w.security},
                {"token", w.token},
                {"token_label", w.tokenLabel},
                {"bytes_sent", w.bytesSent},
                {"bytes_total", w.bytesTotal},
                {"throughput_bps", w.throughputBps},
                {"transfer_start_ms", w.transferStartMs},
                {"last_progress_ms", w.lastProgressMs},
                {"requests", w.requests},
                {"open_fds", w.openFds},
                {"rss_bytes", w.rssBytes},
                {"cpu_ms", w.cpuMs},
                {"last_exit", w.lastExit}};
}

int64_t uptimeSeconds(const StatusSnapshot &status)
{
    return status.server.startedMs > 0 ? (status.nowMs - status.server.startedMs) / 1000 : 0;
}

Json toJson(const StatusSnapshot &status)
{
    Json workers = Json::array();
    for (const WorkerInfo &w : status.workers)
        workers.push_back(toJson(w));
    return Json{{"now_ms", status.nowMs},
                {"server", serverJson(status.server, uptimeSeconds(status))},
                {"pool", poolJson(status.pool)},
                {"workers", std::move(workers)}};
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
