// The parent's single epoll loop: fd callbacks and one-shot timers. Not thread-safe (there is one thread).
// Other modules (the admin plane) register their fds and timers here; callbacks may add or remove any fd
// or timer, including their own, while the loop dispatches.
#pragma once

#include "base/unique_fd.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

namespace ferry::server {

class EventLoop {
public:
    using FdCallback = std::function<void(uint32_t events)>; // events: EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP bits
    using TimerCallback = std::function<void()>;
    using TimerId = uint64_t; // 0 is never a valid id

    // Throws std::system_error if epoll_create1() fails (start-up only).
    EventLoop();

    // Watches `fd` (not owned: the caller closes it after remove()). Returns 0 or an errno value (ENOMEM,
    // ENOSPC past fs.epoll.max_user_watches): an fd that is not watched is never heard from again, so the
    // caller must give up on it (close the connection, stop the worker).
    [[nodiscard]] int add(int fd, uint32_t events, FdCallback callback);
    // Changes the events watched for `fd`. Returns 0 or an errno value, as add().
    [[nodiscard]] int modify(int fd, uint32_t events);
    // Safe to call from any callback; events already fetched for `fd` are dropped.
    void remove(int fd);
    bool isWatched(int fd) const { return m_tokens.count(fd) != 0; }

    // Runs `callback` once, `delay` from now. Cost: O(log timers).
    TimerId addTimer(std::chrono::milliseconds delay, TimerCallback callback);
    void cancelTimer(TimerId id);

    // Dispatches until stop(). Returns 0, or an errno value if epoll_wait() failed for good.
    int run();
    void stop() { m_running = false; }

private:
    struct Watch {
        int fd;
        std::shared_ptr<FdCallback> callback; // shared: a callback may remove itself mid-call
    };
    int nextTimeoutMs() const;
    void runDueTimers();

    UniqueFd m_epoll;
    // A token per registration, so an event fetched for a closed-and-reused fd number is recognised as stale.
    std::unordered_map<uint64_t, Watch> m_watches;
    std::unordered_map<int, uint64_t> m_tokens;
    uint64_t m_nextToken = 1;
    std::map<std::pair<int64_t, TimerId>, TimerCallback> m_timers;
    std::unordered_map<TimerId, int64_t> m_timerDeadlines;
    TimerId m_nextTimer = 1;
    bool m_running = false;
};

} // namespace ferry::server
