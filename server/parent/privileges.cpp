#include "parent/privileges.h"

#include "base/config_error.h"

#include <cerrno>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace ferry::server {

void dropPrivileges(const std::string &user)
{
    errno = 0;
    passwd *entry = getpwnam(user.c_str());
    if (!entry)
        throw ConfigError("unknown user '" + user + "'" + (errno ? std::string(": ") + std::strerror(errno) : ""));
    if (getuid() == entry->pw_uid && geteuid() == entry->pw_uid)
        return;
    if (geteuid() != 0)
        throw ConfigError("--user " + user + " needs ferry-server to be started as root");
    if (initgroups(entry->pw_name, entry->pw_gid) != 0)
        throw ConfigError("initgroups(" + user + "): " + std::strerror(errno));
    if (setgid(entry->pw_gid) != 0)
        throw ConfigError("setgid(" + std::to_string(entry->pw_gid) + "): " + std::strerror(errno));
    if (setuid(entry->pw_uid) != 0)
        throw ConfigError("setuid(" + std::to_string(entry->pw_uid) + "): " + std::strerror(errno));
    if (setuid(0) == 0) // paranoia: root must be unreachable from here on
        throw ConfigError("dropping privileges to " + user + " failed: root is still reachable");
}

} // namespace ferry::server
