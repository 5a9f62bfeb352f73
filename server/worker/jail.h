// The served root as a jail. Every path a client names is checked here first (no absolute paths, no `..`,
// no NUL, no over-long names, no dot-files unless shown) and then opened with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS) from the root's directory fd, so no symlink or `..` can reach outside it.
// FIFOs, sockets and devices are never opened for reading: they are looked at through O_PATH first.
// Nothing here ever writes.
#pragma once

#include "protocol/messages.h"
#include "base/unique_fd.h"

#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>

namespace ferry::server {

struct Opened {
    proto::ErrorCode error = proto::ErrorCode::Ok; // Ok, or why not: NotFound, Forbidden, NotAFile, ...
    std::string message;                           // for the client when error != Ok
    UniqueFd fd;
    struct stat info {};
};

class Jail {
public:
    // Opens `root` as a directory. Throws ConfigError if it is missing, not a directory, or unreadable.
    static Jail open(const std::string &root, bool showHidden);
    Jail(UniqueFd rootFd, bool showHidden, std::string shownPrefix = {})
        : m_root(std::move(rootFd)), m_showHidden(showHidden), m_shownPrefix(std::move(shownPrefix))
    {
    }

    // The jail of a subtree of this root ("releases/2026", normal form: access/grant.h), for a connection
    // granted only that subtree: its directory is opened beneath this root, and everything resolved in it
    // stays beneath it, symbolic links included (a link inside that leads out of it is FORBIDDEN, as one
    // leading out of the root is here). Its messages show paths with the subtree in front. Empty, with
    // `refusal` holding the answer (NOT_FOUND, NOT_A_DIRECTORY, FORBIDDEN...), if it cannot be opened.
    std::optional<Jail> beneath(const std::string &subtree, Opened &refusal) const;

    // Forbidden (with a reason) for paths no request may name; NotFound for a path that is not forbidden
    // but holds a name longer than NAME_MAX (no such file can exist); Ok otherwise.
    proto::ErrorCode check(std::string_view path, std::string *reason = nullptr) const;
    // A regular file for reading (O_RDONLY|O_NONBLOCK|O_NOCTTY), with its fstat. `knownRegular`: the
    // caller saw this path name a regular file a moment ago, so the O_PATH probe is skipped (see
    // recent_files.h); whatever the open finds is still refused unless it is a regular file.
    Opened openFile(std::string_view path, bool knownRegular = false) const;
    // A directory for listing (O_DIRECTORY).
    Opened openDirectory(std::string_view path) const;
    // fstat of whatever `path` names, through an O_PATH fd (never opens it for reading).
    Opened stat(std::string_view path) const;
    // Whether a LIST shows an entry of this name.
    bool isListed(std::string_view name) const { return m_showHidden || name.empty() || name.front() != '.'; }
    // O_PATH fd + stat for the entry `name` of an open directory, resolved beneath that directory.
    Opened statEntry(int directoryFd, const char *name) const;

    int rootFd() const { return m_root.get(); }

private:
    Opened openBeneath(int base, std::string_view path, uint64_t flags) const;
    std::string shown(std::string_view path) const; // `path` as the client spelled it, quoted
    UniqueFd m_root;
    bool m_showHidden;
    std::string m_shownPrefix; // "releases/" in a subtree's jail: what the client's paths had in front
};

} // namespace ferry::server
