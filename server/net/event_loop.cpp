#include "net/event_loop.h"

#include "base/clock.h"
#include "base/syscall.h"

#include <cerrno>
#include <sys/epoll.h>
#include <system_error>

namespace ferry::server {

EventLoop::EventLoop() : m_epoll(epoll_create1(EPOLL_CLOEXEC))
{
    if (!m_epoll)
        throw std::system_error(errno, std::generic_category(), "epoll_create1()");
}

int EventLoop::add(int fd, uint32_t events, FdCallback callback)
{
    uint64_t token = m_nextToken++;
    epoll_event event{};
    event.events = events;
    event.data.u64 = token;
    if (epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event) != 0)
        return errno;
    m_watches.emplace(token, Watch{fd, std::make_shared<FdCallback>(std::move(callback))});
    m_tokens[fd] = token;
    return 0;
}

int EventLoop::modify(int fd, uint32_t events)
{
    auto it = m_tokens.find(fd);
    if (it == m_tokens.end())
        return ENOENT;
    epoll_event event{};
    event.events = events;
    event.data.u64 = it->second;
    return epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, fd, &event) == 0 ? 0 : errno;
}

void EventLoop::remove(int fd)
{
    auto it = m_tokens.find(fd);
    if (it == m_tokens.end())
        return;
    epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
    m_watches.erase(it->second);
    m_tokens.erase(it);
}

EventLoop::TimerId EventLoop::addTimer(std::chrono::milliseconds delay, TimerCallback callback)
{
    TimerId id = m_nextTimer++;
    int64_t deadline = monotonicNs() + int64_t(delay.count()) * 1000000;
    m_timers.emplace(std::make_pair(deadline, id), std::move(callback));
    m_timerDeadlines.emplace(id, deadline);
    return id;
}

void EventLoop::cancelTimer(TimerId id)
{
    auto it = m_timerDeadlines.find(id);
    if (it == m_timerDeadlines.end())
        return;
    m_timers.erase({it->second, id});
    m_timerDeadlines.erase(it);
}

int EventLoop::nextTimeoutMs() const
{
    if (m_timers.empty())
        return -1;
    int64_t waitNs = m_timers.begin()->first.first - monotonicNs();
    if (waitNs <= 0)
        return 0;
    return int((waitNs + 999999) / 1000000); // round up: waking early would spin
}

void EventLoop::runDueTimers()
{
    int64_t now = monotonicNs();
    while (!m_timers.empty() && m_timers.begin()->first.first <= now) {
        auto node = m_timers.extract(m_timers.begin());
        m_timerDeadlines.erase(node.key().second);
        node.mapped()();
    }
}

int EventLoop::run()
{
    constexpr int MaxEvents = 128;
    epoll_event events[MaxEvents];
    m_running = true;
    while (m_running) {
        // nextTimeoutMs() inside the call: a retry after EINTR waits for the next timer, not longer.
        const int count = retryOnEintr([&] { return epoll_wait(m_epoll.get(), events, MaxEvents, nextTimeoutMs()); });
        if (count < 0)
            return errno;
        for (int i = 0; i < count && m_running; ++i) {
            // A copy: epoll_event is packed on x86-64, so a reference to data.u64 (find() takes one) would
            // be misaligned, which UBSan reports as undefined behaviour.
            const uint64_t token = events[i].data.u64;
            auto it = m_watches.find(token);
            if (it == m_watches.end())
                continue; // removed by an earlier callback in this batch
            std::shared_ptr<FdCallback> callback = it->second.callback;
            (*callback)(events[i].events);
        }
        runDueTimers();
    }
    return 0;
}

} // namespace ferry::server
