#include "tls/state_dir.h"

#include "base/config_error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::server::tls {

namespace {

std::string environment(const char *name)
{
    const char *value = std::getenv(name);
    return value ? std::string(value) : std::string();
}

// True if it was created now.
bool makeOne(const std::string &path)
{
    if (mkdir(path.c_str(), 0700) == 0)
        return true;
    if (errno != EEXIST)
        throw ConfigError("mkdir(" + path + ") for the state directory: " + std::strerror(errno));
    return false;
}

} // namespace

std::string defaultStateDir()
{
    std::string systemd = environment("STATE_DIRECTORY");
    if (!systemd.empty())
        return systemd.substr(0, systemd.find(':'));
    if (geteuid() == 0)
        return "/var/lib/ferry";
    std::string xdg = environment("XDG_STATE_HOME");
    if (!xdg.empty() && xdg.front() == '/') // the XDG spec: a relative value is to be ignored
        return xdg + "/ferry";
    std::string home = environment("HOME");
    if (home.empty())
        if (passwd *entry = getpwuid(getuid()))
            home = entry->pw_dir;
    return home + "/.local/state/ferry";
}

void prepareStateDir(const std::string &dir, uid_t owner, gid_t group)
{
    if (dir.empty())
        throw ConfigError("the state directory is empty: give --state-dir DIR");
    for (size_t slash = dir.find('/', 1); slash != std::string::npos; slash = dir.find('/', slash + 1))
        makeOne(dir.substr(0, slash));
    bool created = makeOne(dir);
    struct stat info {};
    if (stat(dir.c_str(), &info) != 0)
        throw ConfigError("stat(" + dir + "): " + std::strerror(errno));
    if (!S_ISDIR(info.st_mode))
        throw ConfigError("the state directory " + dir + " is not a directory");
    // Only a directory made just now, or the one systemd made for this service (StateDirectory=, owned
    // by root when the unit has no User=): chowning any other (say --state-dir /tmp) is not ours to do.
    std::string systemd = environment("STATE_DIRECTORY");
    bool systemdMadeIt = !systemd.empty() && systemd.substr(0, systemd.find(':')) == dir;
    if (owner != uid_t(-1) && (created || (systemdMadeIt && info.st_uid == 0)) && chown(dir.c_str(), owner, group) != 0)
        throw ConfigError("chown(" + dir + ") to the --user: " + std::strerror(errno));
}

} // namespace ferry::server::tls
