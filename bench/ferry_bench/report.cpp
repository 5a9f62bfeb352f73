#include "report.h"

namespace ferry::bench {

namespace {

void printLatency(std::FILE *out, const char *label, uint64_t micros)
{
    if (micros < 1000)
        std::fprintf(out, "  %s %lu us", label, static_cast<unsigned long>(micros));
    else
        std::fprintf(out, "  %s %.2f ms", label, static_cast<double>(micros) / 1000.0);
}

} // namespace

void printSummary(std::FILE *out, const Options &options, const Stats &stats, double seconds)
{
    const double rate = seconds > 0 ? static_cast<double>(stats.requests) / seconds : 0;
    const double bytesPerSecond = seconds > 0 ? static_cast<double>(stats.bytes) / seconds : 0;
    std::fprintf(out, "ferry-bench %s: %u connection(s), %s, %u thread(s), %zu path(s), %.2f s\n",
                 options.serverText.c_str(), options.connections,
                 options.newConnection ? "new connection per request" : "kept alive", options.threads,
                 options.paths.size(), seconds);
    std::fprintf(out, "  requests   %lu (%.1f/s)\n", static_cast<unsigned long>(stats.requests), rate);
    std::fprintf(out, "  received   %.1f MB (%.1f MB/s)\n", static_cast<double>(stats.bytes) / 1e6,
                 bytesPerSecond / 1e6);
    std::fprintf(out, "  errors     %lu (connect %lu, read %lu, protocol %lu, busy %lu, server %lu, timeout %lu)\n",
                 static_cast<unsigned long>(stats.errors()), static_cast<unsigned long>(stats.connectErrors),
                 static_cast<unsigned long>(stats.readErrors), static_cast<unsigned long>(stats.protocolErrors),
                 static_cast<unsigned long>(stats.busy), static_cast<unsigned long>(stats.serverErrors),
                 static_cast<unsigned long>(stats.timeouts));
    if (options.tls)
        std::fprintf(out, "  tls        %s, %lu resumed\n", stats.tls.empty() ? "no handshake" : stats.tls.c_str(),
                     static_cast<unsigned long>(stats.tlsResumed));
    std::fprintf(out, "  latency  ");
    printLatency(out, "p50", stats.latencyUs.percentile(50));
    printLatency(out, "p90", stats.latencyUs.percentile(90));
    printLatency(out, "p99", stats.latencyUs.percentile(99));
    printLatency(out, "max", stats.latencyUs.max());
    std::fprintf(out, "\n");
}

void printJson(std::FILE *out, const Stats &stats, double seconds)
{
    const double rate = seconds > 0 ? static_cast<double>(stats.requests) / seconds : 0;
    const double bytesPerSecond = seconds > 0 ? static_cast<double>(stats.bytes) / seconds : 0;
    std::fprintf(out,
                 "{\"tool\":\"ferry-bench\",\"requests\":%lu,\"seconds\":%.4f,\"rps\":%.1f,\"bytes\":%lu,"
                 "\"bytes_per_s\":%.0f,\"body_bytes\":%lu,\"errors\":%lu,\"connect_errors\":%lu,"
                 "\"read_errors\":%lu,\"protocol_errors\":%lu,\"busy\":%lu,\"server_errors\":%lu,"
                 "\"timeouts\":%lu,\"p50_us\":%lu,\"p90_us\":%lu,\"p99_us\":%lu,\"max_us\":%lu,"
                 "\"tls\":\"%s\",\"tls_resumed\":%lu}\n",
                 static_cast<unsigned long>(stats.requests), seconds, rate, static_cast<unsigned long>(stats.bytes),
                 bytesPerSecond, static_cast<unsigned long>(stats.bodyBytes),
                 static_cast<unsigned long>(stats.errors()), static_cast<unsigned long>(stats.connectErrors),
                 static_cast<unsigned long>(stats.readErrors), static_cast<unsigned long>(stats.protocolErrors),
                 static_cast<unsigned long>(stats.busy), static_cast<unsigned long>(stats.serverErrors),
                 static_cast<unsigned long>(stats.timeouts),
                 static_cast<unsigned long>(stats.latencyUs.percentile(50)),
                 static_cast<unsigned long>(stats.latencyUs.percentile(90)),
                 static_cast<unsigned long>(stats.latencyUs.percentile(99)),
                 static_cast<unsigned long>(stats.latencyUs.max()), stats.tls.c_str(),
                 static_cast<unsigned long>(stats.tlsResumed));
}

} // namespace ferry::bench
