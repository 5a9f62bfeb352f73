// Follows the audit log for the admin socket's audit subscribers (docs/ADMIN.md §4.4): what the parent
// and its workers append, read back from the file itself, since workers write it directly and tell the
// parent nothing. Polled on the parent's loop; every read is bounded, so a burst of lines is spread over
// polls instead of stalling the loop. Follows a rotation: once the file it reads has been renamed away
// and read to its end, it continues with the new file at the path.
#pragma once

#include "base/unique_fd.h"

#include <cstddef>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ferry::admin {

class AuditTail {
public:
    explicit AuditTail(std::string path) : m_path(std::move(path)) {}

    const std::string &path() const { return m_path; }
    bool isFollowing() const { return m_following; }
    // Starts following from the file's current end: what poll() returns from now on is new.
    void start();
    void stop();
    // Up to `count` complete lines that came before the point start() (and the polls since) reached,
    // oldest first, as written (without '\n').
    std::vector<std::string> recent(size_t count) const;
    // Complete lines appended since the last poll (or start()), oldest first; at most MaxPollBytes of them
    // are read (a line cut by that bound is kept and completed by the next poll, never returned in part).
    std::vector<std::string> poll();
    // Whether the last poll() stopped at MaxPollBytes with more of the file still to read.
    bool hasMore() const { return m_more; }

    // A quarter of a client's output buffer (admin_server.h): the lines of one poll, pushed as events to a
    // subscriber with room for them, fit it with room to spare (an event adds about 50 bytes to a line).
    static constexpr size_t MaxPollBytes = 256 * 1024;

private:
    bool openPath(bool atEnd);
    bool wasRotated() const;

    std::string m_path;
    server::UniqueFd m_fd; // the file being read; may be the renamed one until it is read to its end
    ino_t m_inode = 0;
    dev_t m_device = 0;
    off_t m_offset = 0;    // read up to here
    std::string m_partial; // the start of a line not yet ended
    bool m_following = false;
    bool m_more = false;
};

} // namespace ferry::admin
