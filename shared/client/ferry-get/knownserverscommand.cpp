#include "knownserverscommand.h"

#include "exitcodes.h"

#include "client/servertrust.h"

#include <cstdio>

namespace ferry::get {

int runKnownServers(const QStringList &args)
{
    client::KnownServers &known = client::ServerTrust::instance().knownServers();
    if (args.size() == 1 && args[0] == QLatin1String("list")) {
        for (const client::KnownServers::Entry &entry : known.entries())
            std::printf("%s %s\n", qPrintable(entry.server), qPrintable(entry.fingerprint));
        return ExitSuccess;
    }
    if (args.size() == 2 && args[0] == QLatin1String("remove")) {
        QString error;
        const int removed = known.remove(args[1], &error);
        if (!error.isEmpty()) {
            std::fprintf(stderr, "ferry-get: %s\n", qPrintable(error));
            return ExitLocal;
        }
        if (removed == 0) {
            std::fprintf(stderr, "ferry-get: %s is not in %s\n", qPrintable(args[1]), qPrintable(known.path()));
            return ExitUsage;
        }
        std::fprintf(stderr, "ferry-get: removed %d pin%s for %s from %s\n", removed, removed == 1 ? "" : "s",
                     qPrintable(args[1]), qPrintable(known.path()));
        return ExitSuccess;
    }
    std::fprintf(stderr, "ferry-get: usage: ferry-get known-servers list | remove HOST[:PORT]\n");
    return ExitUsage;
}

} // namespace ferry::get
