// ferry-server: the entry point. Parses options, builds the parent, runs it; maps failures to exit codes
// (0 clean stop, 1 internal failure, 2 cannot start).
#include "admin/admin_plane.h"
#include "base/log.h"
#include "config/options.h"
#include "metrics/metrics_http.h"
#include "net/net.h"
#include "parent/parent.h"
#include "parent/startup_checks.h"
#include "pool/pool_manager.h"

#include "ferry_version.h"

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace {

// --metrics-listen: bound before the Parent drops privileges, like the main listener. Throws ConfigError.
ferry::server::Listener bindMetrics(const ferry::server::Options &options)
{
    if (options.metricsListen.empty())
        return {};
    try {
        return ferry::server::openListener(options.metricsListen);
    } catch (const ferry::server::ConfigError &error) {
        throw ferry::server::ConfigError(std::string("--metrics-listen: ") + error.what());
    }
}

std::unique_ptr<ferry::metrics::MetricsHttpServer> serveMetrics(ferry::server::Listener listener,
                                                                ferry::server::Parent &parent,
                                                                ferry::admin::AdminBackend &backend)
{
    if (!listener.fd)
        return nullptr;
    LOG_INFO("metrics on http://%s/metrics", listener.address.c_str());
    return std::make_unique<ferry::metrics::MetricsHttpServer>(
        parent.loop(), std::move(listener.fd), [&backend](ferry::metrics::Format format) {
            return ferry::metrics::renderMetrics(ferry::admin::toJson(backend.status(true)), format);
        });
}

} // namespace

int main(int argc, char **argv)
{
    using namespace ferry::server;
    Options options;
    try {
        options = loadOptions(argc, argv);
    } catch (const ConfigError &error) {
        std::fprintf(stderr, "ferry-server: %s\n", error.what());
        return 2;
    }
    if (options.help) {
        std::fputs(usageText().c_str(), stdout);
        return 0;
    }
    if (options.version) {
        std::printf("ferry-server %s\n", FERRY_VERSION);
        return 0;
    }
    log::setLevel(options.logLevel);
    try {
        checkBeforeBinding(options); // a refused start binds nothing: neither port nor admin socket
        ferry::admin::AdminPlane admin(options); // claims the admin socket first: a live one stops us here
        Listener metricsListener = bindMetrics(options);
        Parent parent(options, std::vector<std::string>(argv, argv + argc));
        // The pool's controller forks the first workers now; destroyed before `parent`.
        ferry::pool::PoolManager pool(parent.loop(), parent.scoreboard(), parent.supervisor(), parent.dispatcher(),
                                      [&parent] { return ferry::pool::limitsFrom(parent.options()); });
        auto adminRunning = admin.attach(parent, pool); // destroyed before `pool`
        auto metrics = serveMetrics(std::move(metricsListener), parent, *adminRunning->backend); // and this first
        return parent.run();
    } catch (const ConfigError &error) {
        std::fprintf(stderr, "ferry-server: cannot start: %s\n", error.what());
        return 2;
    } catch (const std::exception &error) {
        std::fprintf(stderr, "ferry-server: cannot start: %s\n", error.what());
        return 1;
    }
}
