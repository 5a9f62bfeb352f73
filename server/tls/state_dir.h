// Where the server keeps what it must remember across restarts: its key and certificate (later the token
// store and the audit log). Never inside the served root.
#pragma once

#include <string>
#include <sys/types.h>

namespace ferry::server::tls {

// The default state directory: $STATE_DIRECTORY (set by systemd's StateDirectory=; the first of a
// colon-separated list), else /var/lib/ferry for root, else $XDG_STATE_HOME/ferry, else
// ~/.local/state/ferry. Pure apart from reading the environment and the uid.
std::string defaultStateDir();

// Creates `dir` (and missing parents) mode 0700 if absent. When `owner` is not -1 (root about to drop to
// --user), hands a directory it created (or systemd's StateDirectory=) to that user so the key can be written after
// the drop. Throws ConfigError naming the path and the call.
void prepareStateDir(const std::string &dir, uid_t owner, gid_t group);

} // namespace ferry::server::tls
