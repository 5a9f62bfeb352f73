// Prometheus text and OpenMetrics exposition of a STATUS object: server, pool totals, one set per worker.
// Names follow Prometheus conventions: base units in the name (_bytes, _seconds), counters end in _total.
#include "metrics/exposition.h"

#include "base/worker_state.h"

#include <cinttypes>
#include <cstdio>
#include <initializer_list>
#include <string>

namespace ferry::metrics {

using admin::Json;

namespace {

enum class Kind { Gauge, Counter, Info };

// Writes families one at a time; the format decides how a family's name relates to its samples' names.
// Prometheus text names the family after its samples (`x_total` for a counter, `x_info` for an info
// gauge); OpenMetrics names it without the suffix and declares the unit.
class Exposition {
public:
    explicit Exposition(Format format) : m_format(format) {}

    // `name` is the family's OpenMetrics name (no _total / _info); `unit` is its suffix, or "" for none.
    void family(const std::string &name, Kind kind, const char *unit, const char *help)
    {
        m_sample = name + (kind == Kind::Counter ? "_total" : kind == Kind::Info ? "_info" : "");
        const bool open = m_format == Format::OpenMetrics;
        const std::string declared = open ? name : m_sample;
        const char *type = kind == Kind::Counter ? "counter" : kind == Kind::Info && open ? "info" : "gauge";
        m_out += "# HELP " + declared + " " + help + "\n# TYPE " + declared + " " + type + "\n";
        if (open && *unit)
            m_out += "# UNIT " + declared + " " + unit + "\n";
    }
    void sample(const std::string &labels, int64_t value) { line(labels, std::to_string(value)); }
    void sample(const std::string &labels, double value)
    {
        char text[32];
        std::snprintf(text, sizeof text, "%.3f", value);
        line(labels, text);
    }
    std::string finish() { return m_format == Format::OpenMetrics ? m_out + "# EOF\n" : m_out; }

private:
    void line(const std::string &labels, const std::string &value)
    {
        m_out += m_sample + (labels.empty() ? "" : "{" + labels + "}") + " " + value + "\n";
    }

    Format m_format;
    std::string m_out;
    std::string m_sample;
};

int64_t intOf(const Json *object, const char *key)
{
    return object ? admin::intMember(*object, key) : 0;
}

std::string stringOf(const Json &object, const char *key)
{
    return admin::textMember(object, key);
}

// Label values escape backslash, double quote and newline (both formats).
std::string label(const char *name, const std::string &value)
{
    std::string out = std::string(name) + "=\"";
    for (char c : value) {
        if (c == '\\' || c == '"')
            out += '\\';
        out += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return out + "\"";
}

void serverFamilies(Exposition &e, const Json &server)
{
    e.family("ferry_build", Kind::Info, "", "The server's version.");
    e.sample(label("version", stringOf(server, "version")), int64_t(1));
    e.family("ferry_start_time_seconds", Kind::Gauge, "seconds",
             "Start time of the server, in seconds since the epoch.");
    e.sample("", double(intOf(&server, "started_ms")) / 1000.0);
    e.family("ferry_generation", Kind::Gauge, "", "Configuration generation: rises by one on every reload.");
    e.sample("", intOf(&server, "generation"));
    e.family("ferry_server_state", Kind::Gauge, "", "1 for the server's current state, 0 for the others.");
    const std::string state = stringOf(server, "state");
    for (const char *name : {"accepting", "draining", "stopping"})
        e.sample(label("state", name), int64_t(state == name));
}

void poolFamilies(Exposition &e, const Json &pool)
{
    e.family("ferry_workers", Kind::Gauge, "", "Worker processes by state.");
    for (const char *state : {"idle", "busy", "starting", "stopping"})
        e.sample(label("state", state), intOf(&pool, state));
    e.family("ferry_max_workers", Kind::Gauge, "", "Largest pool size the pool policy allows.");
    e.sample("", intOf(admin::member(pool, "limits"), "max_workers"));
    e.family("ferry_max_workers_reached", Kind::Counter, "", "Times the pool wanted to grow beyond its largest size.");
    e.sample("", intOf(&pool, "max_workers_reached"));
    e.family("ferry_pending_connections", Kind::Gauge, "", "Connections with a request waiting for a free worker.");
    e.sample("", intOf(&pool, "pending"));
    e.family("ferry_parked_connections", Kind::Gauge, "", "Idle kept-alive connections held by the parent.");
    e.sample("", intOf(&pool, "parked"));
    e.family("ferry_accepted_connections", Kind::Counter, "", "Connections accepted.");
    e.sample("", intOf(&pool, "accepted"));
    e.family("ferry_busy_rejections", Kind::Counter, "", "Connections answered with BUSY because no worker was free.");
    e.sample("", intOf(&pool, "rejected_busy"));
    e.family("ferry_sent_bytes", Kind::Counter, "bytes", "File body bytes sent.");
    e.sample("", intOf(&pool, "bytes_sent"));
}

// One family per figure, one series per worker in it. `key` is the figure's STATUS field; a negative
// value means /proc could not say, and that worker's sample is left out.
void perWorker(Exposition &e, const Json &workers, const char *key, double scale)
{
    for (const Json &w : workers) {
        const int64_t value = intOf(&w, key);
        if (value < 0)
            continue;
        const std::string slot = label("slot", std::to_string(intOf(&w, "slot")));
        if (scale == 1.0)
            e.sample(slot, value);
        else
            e.sample(slot, double(value) * scale);
    }
}

void workerFamilies(Exposition &e, const Json &workers)
{
    e.family("ferry_worker_state", Kind::Gauge, "", "1 for the worker's current state, 0 for the others.");
    for (const Json &w : workers) {
        const std::string slot = label("slot", std::to_string(intOf(&w, "slot"))) + ",";
        const std::string state = stringOf(w, "state");
        for (const server::WorkerState s : server::AllWorkerStates) {
            if (s == server::WorkerState::Empty)
                continue; // an empty slot has no worker to report
            const std::string name(server::workerStateName(s));
            e.sample(slot + label("state", name), int64_t(state == name));
        }
    }
    e.family("ferry_worker_generation", Kind::Gauge, "", "Configuration generation the worker was started with.");
    perWorker(e, workers, "generation", 1.0);
    e.family("ferry_worker_requests", Kind::Counter, "", "Requests served by the worker process in this slot.");
    perWorker(e, workers, "requests", 1.0);
    e.family("ferry_worker_transfer_sent_bytes", Kind::Gauge, "bytes", "Body bytes sent of the current transfer.");
    perWorker(e, workers, "bytes_sent", 1.0);
    e.family("ferry_worker_transfer_size_bytes", Kind::Gauge, "bytes", "Announced length of the current transfer.");
    perWorker(e, workers, "bytes_total", 1.0);
    e.family("ferry_worker_resident_memory_bytes", Kind::Gauge, "bytes", "Resident set size of the worker process.");
    perWorker(e, workers, "rss_bytes", 1.0);
    e.family("ferry_worker_open_fds", Kind::Gauge, "", "Open file descriptors of the worker process.");
    perWorker(e, workers, "open_fds", 1.0);
    e.family("ferry_worker_cpu_seconds", Kind::Counter, "seconds", "CPU time (user and system) of the worker process.");
    perWorker(e, workers, "cpu_ms", 0.001);
}

} // namespace

std::string_view contentType(Format format)
{
    switch (format) {
    case Format::Prometheus: return "text/plain; version=0.0.4; charset=utf-8";
    case Format::OpenMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    }
    return "text/plain";
}

std::string renderMetrics(const Json &status, Format format)
{
    Exposition e(format);
    if (const Json *server = admin::member(status, "server"))
        serverFamilies(e, *server);
    if (const Json *pool = admin::member(status, "pool"))
        poolFamilies(e, *pool);
    workerFamilies(e, admin::arrayMember(status, "workers"));
    return e.finish();
}

} // namespace ferry::metrics
