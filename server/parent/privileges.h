// Dropping root after the listening socket is bound.
#pragma once

#include <string>

namespace ferry::server {

// Switches to `user` (supplementary groups, gid, uid; in that order, since after setuid() the others are
// no longer allowed). A no-op returning normally when already running as that user. Throws ConfigError
// when the user is unknown, or when not root and asked to become someone else.
void dropPrivileges(const std::string &user);

} // namespace ferry::server
