// ferry-get known-servers list | remove HOST[:PORT] — the pins in the shared known-servers file.
#pragma once

#include <QStringList>

namespace ferry::get {

// Runs the subcommand with its arguments (after "known-servers"); returns the exit code.
int runKnownServers(const QStringList &args);

} // namespace ferry::get
