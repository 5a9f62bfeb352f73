// Which of ferry-get's options each command reads. One that does not apply to the command given is
// refused, not ignored: `ferry-get ls -O x URL` used to list the folder and say nothing of -O.
#pragma once

#include <QString>
#include <QStringList>

class QCommandLineParser;

namespace ferry::get {

enum class Command { Download, Ls, Sum, KnownServers };

// The command the positional arguments name: ls, sum and known-servers by their first word, anything
// else a download.
Command commandOf(const QStringList &positional);

// A one-sentence usage error for the first option on the command line that `command` does not read
// ("-O applies to downloads, not to ferry-get ls"), named as it was written; "" when all apply.
QString optionNotFor(const QCommandLineParser &parser, Command command);

} // namespace ferry::get
