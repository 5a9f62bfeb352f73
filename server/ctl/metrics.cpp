// OpenMetrics text exposition of a STATUS object: pool totals and one series per worker.
#include "ctl/render.h"

#include <string>

namespace ferry::ctl {

using admin::Json;

namespace {

class Exposition {
public:
    void family(const char *name, const char *type, const char *help)
    {
        m_out += std::string("# TYPE ") + name + " " + type + "\n# HELP " + name + " " + help + "\n";
    }
    void sample(const std::string &name, const std::string &labels, int64_t value)
    {
        m_out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(value) + "\n";
    }
    void sample(const std::string &name, const std::string &labels, double value)
    {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.3f", value);
        m_out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + buffer + "\n";
    }
    std::string finish() { return m_out + "# EOF\n"; }

private:
    std::string m_out;
};

using admin::intMember;
using admin::member;
using admin::textMember;

// Label values escape backslash, quote and newline (OpenMetrics).
std::string labelValue(const std::string &text)
{
    std::string out;
    for (char c : text) {
        if (c == '\\' || c == '"')
            out += '\\';
        out += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return out;
}

void poolTotals(Exposition &e, const Json &pool)
{
    e.family("ferry_workers", "gauge", "Worker processes by state.");
    for (const char *state : {"idle", "busy", "starting", "stopping"})
        e.sample("ferry_workers", std::string("state=\"") + state + "\"", intMember(pool, state));
    e.family("ferry_max_workers", "gauge", "Largest pool size allowed.");
    const Json *limits = member(pool, "limits");
    e.sample("ferry_max_workers", "", limits ? intMember(*limits, "max_workers") : 0);
    e.family("ferry_max_workers_reached", "counter", "Times the pool wanted to grow beyond max workers.");
    e.sample("ferry_max_workers_reached_total", "", intMember(pool, "max_workers_reached"));
    e.family("ferry_pending", "gauge", "Connections waiting for a free worker.");
    e.sample("ferry_pending", "", intMember(pool, "pending"));
    e.family("ferry_parked", "gauge", "Idle keep-alive connections held by the parent.");
    e.sample("ferry_parked", "", intMember(pool, "parked"));
    e.family("ferry_accepted", "counter", "Connections accepted.");
    e.sample("ferry_accepted_total", "", intMember(pool, "accepted"));
    e.family("ferry_rejected_busy", "counter", "Connections answered with BUSY.");
    e.sample("ferry_rejected_busy_total", "", intMember(pool, "rejected_busy"));
    e.family("ferry_bytes_sent", "counter", "File body bytes sent.");
    e.sample("ferry_bytes_sent_total", "", intMember(pool, "bytes_sent"));
    e.family("ferry_throughput_bytes_per_second", "gauge", "Bytes sent during the last second.");
    e.sample("ferry_throughput_bytes_per_second", "", intMember(pool, "throughput_bps"));
}

void workerSeries(Exposition &e, const Json &workers)
{
    auto labels = [](const Json &w) {
        return "slot=\"" + std::to_string(intMember(w, "slot")) + "\",pid=\"" + std::to_string(intMember(w, "pid"))
            + "\",state=\"" + labelValue(textMember(w, "state")) + "\"";
    };
    e.family("ferry_worker_bytes_sent", "gauge", "Body bytes sent of the worker's current transfer.");
    for (const Json &w : workers)
        e.sample("ferry_worker_bytes_sent", labels(w), intMember(w, "bytes_sent"));
    e.family("ferry_worker_bytes_total", "gauge", "Announced length of the worker's current transfer.");
    for (const Json &w : workers)
        e.sample("ferry_worker_bytes_total", labels(w), intMember(w, "bytes_total"));
    e.family("ferry_worker_requests", "counter", "Requests served by the worker process.");
    for (const Json &w : workers)
        e.sample("ferry_worker_requests_total", labels(w), intMember(w, "requests"));
    e.family("ferry_worker_rss_bytes", "gauge", "Resident set size of the worker process.");
    for (const Json &w : workers)
        e.sample("ferry_worker_rss_bytes", labels(w), intMember(w, "rss_bytes"));
    e.family("ferry_worker_open_fds", "gauge", "Open file descriptors of the worker process.");
    for (const Json &w : workers)
        e.sample("ferry_worker_open_fds", labels(w), intMember(w, "open_fds"));
    e.family("ferry_worker_cpu_seconds", "counter", "CPU time (user + system) of the worker process.");
    for (const Json &w : workers)
        e.sample("ferry_worker_cpu_seconds_total", labels(w), double(intMember(w, "cpu_ms")) / 1000.0);
}

} // namespace

std::string renderMetrics(const Json &status)
{
    Exposition e;
    const Json *pool = member(status, "pool");
    if (pool)
        poolTotals(e, *pool);
    if (const Json *server = member(status, "server")) {
        e.family("ferry_info", "info", "Server version and generation.");
        e.sample("ferry_info", "version=\"" + labelValue(textMember(*server, "version")) + "\",generation=\""
                     + std::to_string(intMember(*server, "generation")) + "\"", int64_t(1));
        e.family("ferry_uptime_seconds", "gauge", "Seconds since the server started.");
        e.sample("ferry_uptime_seconds", "", intMember(*server, "uptime_s"));
    }
    if (const Json *workers = member(status, "workers"); workers && workers->is_array())
        workerSeries(e, *workers);
    return e.finish();
}

} // namespace ferry::ctl
