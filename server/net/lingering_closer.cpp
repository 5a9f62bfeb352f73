#include "net/lingering_closer.h"
#include "base/syscall.h"

#include <cerrno>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace ferry::server {

namespace {
constexpr std::chrono::milliseconds LingerTime{2000};
// Beyond this many sockets in limbo, close at once: fds matter more than a courtesy.
constexpr size_t MaxLingering = 4096;

// Reads and discards what is queued. True if the client has closed (or the socket failed).
bool drain(int fd)
{
    char sink[4096];
    for (int i = 0; i < 16; ++i) {
        const ssize_t got = retryOnEintr([&] { return recv(fd, sink, sizeof sink, MSG_DONTWAIT); });
        if (got > 0)
            continue;
        return got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
    return false;
}
} // namespace

LingeringCloser::~LingeringCloser()
{
    for (auto &[fd, entry] : m_fds) {
        m_loop.remove(fd);
        m_loop.cancelTimer(entry.timer);
    }
}

void LingeringCloser::close(UniqueFd fd)
{
    if (!fd)
        return;
    shutdown(fd.get(), SHUT_WR);
    if (drain(fd.get()) || m_fds.size() >= MaxLingering)
        return; // `fd` closes here
    int raw = fd.get();
    if (m_loop.add(raw, EPOLLIN | EPOLLRDHUP, [this, raw](uint32_t) { onReadable(raw); }) != 0)
        return;
    Entry &entry = m_fds[raw];
    entry.fd = std::move(fd);
    entry.timer = m_loop.addTimer(LingerTime, [this, raw] {
        m_fds[raw].timer = 0;
        drop(raw);
    });
}

void LingeringCloser::onReadable(int fd)
{
    if (drain(fd))
        drop(fd);
}

void LingeringCloser::drop(int fd)
{
    auto it = m_fds.find(fd);
    if (it == m_fds.end())
        return;
    m_loop.remove(fd);
    if (it->second.timer)
        m_loop.cancelTimer(it->second.timer);
    m_fds.erase(it);
}

} // namespace ferry::server
