// Where the admin socket lives and how the server claims it (docs/ADMIN.md §1). No Qt; used by
// ferry-server (bind) and ferry-ctl (default path).
#pragma once

#include "base/unique_fd.h"

#include <optional>
#include <string>
#include <sys/types.h>
#include <sys/un.h>

namespace ferry::admin {

// $XDG_RUNTIME_DIR/ferry/admin.sock; /run/ferry/admin.sock for root; /tmp/ferry-UID/admin.sock without
// XDG_RUNTIME_DIR.
std::string defaultAdminSocketPath();

// Zeroes `address` and fills in AF_UNIX and `path`. False if `path` is empty or does not fit in sun_path
// (with its terminating NUL); `address` is then unusable. Shared by the server (bind) and ferry-ctl (connect).
bool fillAddress(const std::string &path, sockaddr_un &address);

struct BoundSocket {
    server::UniqueFd fd; // listening, non-blocking, close-on-exec; invalid on failure
    std::string error;   // one line naming the call and the path, when fd is invalid
};

// Creates the socket's directory (0700) if it is missing, replaces a stale socket left by a dead server,
// refuses a live one, binds with mode 0600 and listens. With an admin group, the socket is made 0660 and
// owned by that group (and a directory created here 0750 with that group), so members can reach it.
// Start-up only (it touches the process umask).
BoundSocket bindAdminSocket(const std::string &path, std::optional<gid_t> adminGroup = std::nullopt);

} // namespace ferry::admin
