// ferry-bench: a load generator for Ferry servers, in the spirit of wrk (which speaks only
// HTTP). Non-blocking sockets on epoll, one loop per thread, nothing allocated per request.
#include "load_thread.h"
#include "options.h"
#include "report.h"

#include "protocol/codec.h"

#include "ferry_version.h"

#include <cstdio>
#include <exception>
#include <memory>
#include <thread>

using namespace ferry;
using namespace ferry::bench;

namespace {

// A new connection per request says BYE behind its GET (protocol version 2): the server then closes
// first and keeps TIME_WAIT on its side, as nginx does after `Connection: close`, instead of filling the
// client's port range (docs/PROTOCOL.md §10.6). Kept alive, or with --no-bye, it speaks version 1.
EncodedRequests encodeRequests(const Options &options)
{
    const bool bye = options.newConnection && options.bye;
    const uint16_t version = bye ? proto::ProtocolVersion2 : proto::ProtocolVersion;
    EncodedRequests requests;
    for (const std::string &path : options.paths) {
        std::vector<uint8_t> get = proto::encode(proto::GetRequest{path, 0, proto::ToEnd});
        std::vector<uint8_t> both = proto::encode(proto::Hello{version, "ferry-bench/" FERRY_VERSION});
        both.insert(both.end(), get.begin(), get.end());
        if (bye)
            proto::encode(proto::Bye{}, both);
        requests.helloAndGet.push_back(std::move(both));
        requests.getOnly.push_back(std::move(get));
    }
    return requests;
}

// Splits the connections (and a request limit) over the threads and runs them.
Stats runLoad(const Options &options, const EncodedRequests &requests)
{
    LoadPlan plan;
    plan.server = options.server;
    plan.requests = &requests;
    plan.newConnection = options.newConnection;
    std::unique_ptr<TlsClient> tls;
    if (options.tls)
        tls = std::make_unique<TlsClient>();
    plan.tls = tls.get();
    plan.timeout = options.timeout;
    plan.deadline = std::chrono::steady_clock::now()
        + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(options.durationSeconds));
    plan.maxRequests = (options.maxRequests + options.threads - 1) / options.threads;

    std::vector<std::unique_ptr<LoadThread>> loads;
    for (uint32_t t = 0; t < options.threads; ++t) {
        const uint32_t share = options.connections / options.threads + (t < options.connections % options.threads);
        const auto firstPath = static_cast<uint32_t>(t * options.paths.size() / options.threads);
        loads.push_back(std::make_unique<LoadThread>(plan, share, firstPath, options.readSize));
    }
    std::vector<std::thread> threads;
    for (uint32_t t = 1; t < options.threads; ++t)
        threads.emplace_back([&load = *loads[t]] { load.run(); });
    loads[0]->run();
    for (std::thread &thread : threads)
        thread.join();
    Stats total;
    for (const auto &load : loads)
        total.merge(load->stats());
    return total;
}

} // namespace

int main(int argc, char **argv)
{
    Options options;
    try {
        options = parseOptions(argc, argv);
    } catch (const UsageError &error) {
        std::fprintf(stderr, "ferry-bench: %s\nTry 'ferry-bench --help'.\n", error.what());
        return 2;
    }
    if (options.help) {
        std::fputs(usageText(), stdout);
        return 0;
    }
    try {
        const EncodedRequests requests = encodeRequests(options);
        const uint64_t start = monotonicNs();
        const Stats stats = runLoad(options, requests);
        const double seconds = static_cast<double>(monotonicNs() - start) / 1e9;
        if (!options.quiet)
            printSummary(stdout, options, stats, seconds);
        printJson(stdout, stats, seconds);
        return stats.errors() == 0 ? 0 : 1;
    } catch (const std::exception &error) {
        std::fprintf(stderr, "ferry-bench: %s\n", error.what());
        return 3;
    }
}
