// Closing a client socket without losing the last frame sent on it. If a socket is closed while unread
// input is queued (or arrives later), the kernel answers with a reset, and the client may never read the
// BUSY or ERROR frame it was just sent. So: shut the write side (FIN after our data), keep reading and
// discarding until the client closes, for at most a couple of seconds, then close.
#pragma once

#include "net/event_loop.h"
#include "base/unique_fd.h"

#include <unordered_map>

namespace ferry::server {

class LingeringCloser {
public:
    explicit LingeringCloser(EventLoop &loop) : m_loop(loop) {}
    ~LingeringCloser();
    LingeringCloser(const LingeringCloser &) = delete;
    LingeringCloser &operator=(const LingeringCloser &) = delete;

    // Takes ownership of `fd` and closes it when the client has closed or after the linger time.
    void close(UniqueFd fd);
    size_t count() const { return m_fds.size(); }

private:
    void onReadable(int fd);
    void drop(int fd);

    struct Entry {
        UniqueFd fd;
        EventLoop::TimerId timer = 0;
    };
    EventLoop &m_loop;
    std::unordered_map<int, Entry> m_fds;
};

} // namespace ferry::server
