// Where the admin socket lives and how the server claims it (docs/ADMIN.md §1). No Qt; used by
// ferry-server (bind) and ferry-ctl (default path).
#pragma once

#include "unique_fd.h"

#include <string>

namespace ferry::admin {

// $XDG_RUNTIME_DIR/ferry/admin.sock; /run/ferry/admin.sock for root; /tmp/ferry-UID/admin.sock without
// XDG_RUNTIME_DIR.
std::string defaultAdminSocketPath();

struct BoundSocket {
    server::UniqueFd fd; // listening, non-blocking, close-on-exec; invalid on failure
    std::string error;   // one line naming the call and the path, when fd is invalid
};

// Creates the socket's directory (0700) if it is missing, replaces a stale socket left by a dead server,
// refuses a live one, binds with mode 0600 and listens. Start-up only (it touches the process umask).
BoundSocket bindAdminSocket(const std::string &path);

} // namespace ferry::admin
