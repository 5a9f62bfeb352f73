// ferry-server: the entry point. Parses options, builds the parent, runs it; maps failures to exit codes
// (0 clean stop, 1 internal failure, 2 cannot start).
#include "admin/admin_plane.h"
#include "base/log.h"
#include "config/options.h"
#include "parent/parent.h"
#include "pool/pool_manager.h"

#include "ferry_version.h"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

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
        ferry::admin::AdminPlane admin(options); // claims the admin socket first: a live one stops us here
        Parent parent(options, std::vector<std::string>(argv, argv + argc));
        // The pool's controller forks the first workers now; destroyed before `parent`.
        ferry::pool::PoolManager pool(parent.loop(), parent.scoreboard(), parent.supervisor(), parent.dispatcher(),
                                      [&parent] { return ferry::pool::limitsFrom(parent.options()); });
        auto adminRunning = admin.attach(parent, pool); // destroyed before `pool`
        return parent.run();
    } catch (const ConfigError &error) {
        std::fprintf(stderr, "ferry-server: cannot start: %s\n", error.what());
        return 2;
    } catch (const std::exception &error) {
        std::fprintf(stderr, "ferry-server: cannot start: %s\n", error.what());
        return 1;
    }
}
