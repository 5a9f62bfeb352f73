#include "ctl/render.h"

#include "base/worker_state.h"
#include "ctl/terminal_text.h"

#include <cstdio>
#include <map>

namespace ferry::ctl {

using admin::Json;

namespace {

using admin::arrayMember;
using admin::intMember;
using admin::textMember;

// A member object, or null when absent: the readers above treat both alike.
const Json &child(const Json &object, const char *key)
{
    static const Json absent;
    const Json *v = admin::member(object, key);
    return v ? *v : absent;
}

// printf into a string as long as the text needs: nothing is ever cut (see renderStatus() on why).
template <typename... Args>
std::string format(const char *fmt, Args... args)
{
    const int length = std::snprintf(nullptr, 0, fmt, args...);
    if (length <= 0)
        return {};
    std::string text(size_t(length), '\0');
    std::snprintf(text.data(), text.size() + 1, fmt, args...); // the '\0' lands on text's own terminator
    return text;
}


std::string rateText(int64_t bytesPerSecond)
{
    return bytesPerSecond > 0 ? humanBytes(bytesPerSecond) + "/s" : std::string("unlimited");
}

std::string identityLine(const Json &server)
{
    const std::string plaintext = textMember(server, "plaintext");
    if (textMember(server, "identity").empty())
        return "Identity: none (plaintext only: nothing is encrypted)\n";
    return format("Identity: %s (%s)\n", shownMember(server, "identity").c_str(),
                  plaintext == "allow" ? "TLS 1.3; plaintext allowed too" : "TLS 1.3 required");
}

std::string summary(const Json &status)
{
    const Json &server = child(status, "server");
    const Json &pool = child(status, "pool");
    const Json &limits = child(pool, "limits");
    const Json &rate = child(pool, "rate_limit");
    const Json &breaker = child(pool, "breaker");
    std::string out;
    out += format("Ferry server %s  pid %lld  up %s  generation %lld  %s\n", shownMember(server, "version").c_str(),
                  (long long)intMember(server, "pid"), humanDuration(intMember(server, "uptime_s")).c_str(),
                  (long long)intMember(server, "generation"), shownMember(server, "state").c_str());
    out += format("Listening on %s, serving %s\n", shownMember(server, "listen").c_str(),
                  shownMember(server, "root").c_str());
    out += identityLine(server);
    out += format("Workers: %lld total, %lld busy, %lld idle, %lld starting, %lld stopping"
                  " (max %lld, reached %lld times)\n",
                  (long long)intMember(pool, "total"), (long long)intMember(pool, "busy"),
                  (long long)intMember(pool, "idle"), (long long)intMember(pool, "starting"),
                  (long long)intMember(pool, "stopping"),
                  (long long)intMember(limits, "max_workers"), (long long)intMember(pool, "max_workers_reached"));
    out += format("Connections: %lld pending (max %lld, limit %lld), %lld parked, %lld accepted, %lld rejected busy\n",
                  (long long)intMember(pool, "pending"), (long long)intMember(pool, "pending_max"),
                  (long long)intMember(pool, "pending_limit"), (long long)intMember(pool, "parked"),
                  (long long)intMember(pool, "accepted"), (long long)intMember(pool, "rejected_busy"));
    out += format("Traffic: %s sent, now %s\n", humanBytes(intMember(pool, "bytes_sent")).c_str(),
                  (humanBytes(intMember(pool, "throughput_bps")) + "/s").c_str());
    out += format("Pool: spare %lld..%lld, recycle after %lld requests, stall timeout %llds;"
                  " crash breaker %s (%lld recent)\n",
                  (long long)intMember(limits, "min_spare"), (long long)intMember(limits, "max_spare"),
                  (long long)intMember(limits, "max_requests"), (long long)intMember(limits, "stall_timeout_s"),
                  shownMember(breaker, "state").c_str(), (long long)intMember(breaker, "recent_crashes"));
    out += format("Rate limit: %s per connection, %s overall", rateText(intMember(rate, "per_connection")).c_str(),
                  rateText(intMember(rate, "global")).c_str());
    if (const int64_t perIp = intMember(rate, "per_ip"); perIp > 0)
        out += format(", %s per client address", rateText(perIp).c_str());
    out += "\n";
    return out;
}

std::string strip(const Json &status)
{
    const int64_t capacity = intMember(child(status, "pool"), "capacity");
    std::string letters(size_t(capacity > 0 && capacity < 4096 ? capacity : 0), '.');
    for (const Json &w : arrayMember(status, "workers")) {
        const int64_t slot = intMember(w, "slot");
        if (slot >= 0 && size_t(slot) < letters.size())
            letters[size_t(slot)] = stateLetter(textMember(w, "state"));
    }
    std::string out = "Scoreboard: ";
    for (size_t i = 0; i < letters.size(); i += 64)
        out += (i ? "\n            " : "") + letters.substr(i, 64);
    return out + "\n  (_ idle, S starting, R reading, W sending, G stopping, . empty)\n";
}

} // namespace

char stateLetter(const std::string &state)
{
    const auto known = server::workerStateFromName(state);
    return known ? server::workerStateLetter(*known) : '?';
}

std::string humanBytes(int64_t bytes)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = double(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    return unit == 0 ? format("%lld B", (long long)bytes) : format("%.1f %s", value, units[unit]);
}

std::string humanDuration(int64_t seconds)
{
    if (seconds < 60)
        return format("%llds", (long long)seconds);
    if (seconds < 3600)
        return format("%lldm%02llds", (long long)(seconds / 60), (long long)(seconds % 60));
    return format("%lldh%02lldm", (long long)(seconds / 3600), (long long)(seconds / 60 % 60));
}

// Columns are padded to a width, never cut: a value wider than its column (a long path, an IPv6 peer, a
// token label) widens its own row and the terminal wraps it. PATH and the token are what an operator copies
// to find the file or the token, and a path cut to fit could read as another real path; a ragged row is
// the smaller harm. The columns before PATH hold figures of bounded width.
std::string renderStatus(const Json &status)
{
    std::string out = summary(status) + "\n" + strip(status) + "\n";
    out += format("%4s %7s %3s %-8s %-21s %6s %6s %-22s %6s %4s %9s %7s  %s\n", "SLOT", "PID", "GEN", "STATE", "PEER",
                  "CONN", "REQS", "SENT / TOTAL", "AGE", "FDS", "RSS", "CPU", "PATH");
    const int64_t now = intMember(status, "now_ms");
    for (const Json &w : arrayMember(status, "workers")) {
        const int64_t start = intMember(w, "transfer_start_ms");
        const std::string sent = intMember(w, "bytes_total") > 0 || intMember(w, "bytes_sent") > 0
            ? humanBytes(intMember(w, "bytes_sent")) + " / " + humanBytes(intMember(w, "bytes_total"))
            : std::string("-");
        const std::string lastExit = shownMember(w, "last_exit");
        const std::string token = shownMember(w, "token");
        const std::string label = shownMember(w, "token_label");
        const std::string peer = shownMember(w, "peer");
        const std::string under = token.empty() ? "" : "  [token " + (label.empty() ? token : label) + "]";
        // printf pads by bytes: the columns that hold text from outside are padded by what a terminal shows.
        out += format("%4lld %7lld %3lld %s %s %6lld %6lld %-22s %6s %4lld %9s %6.1fs  %s%s%s\n",
                      (long long)intMember(w, "slot"), (long long)intMember(w, "pid"),
                      (long long)intMember(w, "generation"), padded(shownMember(w, "state"), 8).c_str(),
                      padded(peer.empty() ? "-" : peer, 21).c_str(),
                      (long long)intMember(w, "connection"), (long long)intMember(w, "requests"), sent.c_str(),
                      start > 0 ? humanDuration((now - start) / 1000).c_str() : "-",
                      (long long)intMember(w, "open_fds"),
                      intMember(w, "rss_bytes") >= 0 ? humanBytes(intMember(w, "rss_bytes")).c_str() : "?",
                      double(intMember(w, "cpu_ms")) / 1000.0, shownMember(w, "path").c_str(), under.c_str(),
                      lastExit.empty() ? "" : ("  [last exit: " + lastExit + "]").c_str());
    }
    return out;
}

std::string renderHistory(const Json &samples)
{
    std::string out = format("%-24s %12s %5s %7s %6s %8s %8s\n", "TIME (unix ms)", "THROUGHPUT", "BUSY", "PENDING",
                             "PARKED", "ACCEPTED", "REJECTED");
    for (const Json &s : samples) {
        out += format("%-24lld %12s %5lld %7lld %6lld %8lld %8lld\n", (long long)intMember(s, "t_ms"),
                      (humanBytes(intMember(s, "throughput_bps")) + "/s").c_str(), (long long)intMember(s, "busy"),
                      (long long)intMember(s, "pending"), (long long)intMember(s, "parked"),
                      (long long)intMember(s, "accepted"), (long long)intMember(s, "rejected"));
    }
    return out;
}

} // namespace ferry::ctl
