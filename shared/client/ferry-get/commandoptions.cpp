#include "commandoptions.h"

#include <QCommandLineParser>

namespace ferry::get {

namespace {

// Command bits of a scope.
constexpr int Downloads = 1, Ls = 2, Sum = 4, KnownServers = 8;

struct Scope {
    const char *name;  // as the parser knows it: a short or a long name, without dashes
    int commands;      // the Command bits that read it
    const char *where; // those commands, as a person reads them
};

constexpr const char *ToServers = "downloads, ls and sum";

// Every option setUpParser() adds but --help and --version (which answer before any command runs).
constexpr Scope Scopes[] = {
    {"o", Downloads, "downloads"},
    {"output", Downloads, "downloads"},
    {"O", Downloads, "downloads"},
    {"output-file", Downloads, "downloads"},
    {"j", Downloads, "downloads"},
    {"jobs", Downloads, "downloads"},
    {"on-exists", Downloads, "downloads"},
    {"sha256", Downloads, "downloads"},
    {"streams", Downloads, "downloads"},
    {"no-verify", Downloads, "downloads"},
    {"no-progress", Downloads, "downloads"},
    {"json", Ls, "ferry-get ls"},
    {"trust-new", Downloads | Ls | Sum, ToServers},
    {"token", Downloads | Ls | Sum, ToServers},
    {"plaintext", Downloads | Ls | Sum, ToServers},
};

int bitOf(Command command)
{
    switch (command) {
    case Command::Download: return Downloads;
    case Command::Ls: return Ls;
    case Command::Sum: return Sum;
    case Command::KnownServers: return KnownServers;
    }
    return 0;
}

const char *nameOf(Command command)
{
    switch (command) {
    case Command::Download: return "downloads";
    case Command::Ls: return "ferry-get ls";
    case Command::Sum: return "ferry-get sum";
    case Command::KnownServers: return "ferry-get known-servers";
    }
    return "";
}

} // namespace

Command commandOf(const QStringList &positional)
{
    const QString first = positional.value(0);
    if (first == QLatin1String("ls"))
        return Command::Ls;
    if (first == QLatin1String("sum"))
        return Command::Sum;
    if (first == QLatin1String("known-servers"))
        return Command::KnownServers;
    return Command::Download;
}

QString optionNotFor(const QCommandLineParser &parser, Command command)
{
    for (const QString &given : parser.optionNames()) { // in command-line order, as written
        for (const Scope &scope : Scopes) {
            if (given != QLatin1String(scope.name) || (scope.commands & bitOf(command)) != 0)
                continue;
            const QString written = (given.size() == 1 ? QStringLiteral("-") : QStringLiteral("--")) + given;
            return QStringLiteral("%1 applies to %2, not to %3")
                .arg(written, QLatin1String(scope.where), QLatin1String(nameOf(command)));
        }
    }
    return {};
}

} // namespace ferry::get
