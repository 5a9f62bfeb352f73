#include "worker/transport.h"

#include <cerrno>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

namespace ferry::server {

ssize_t PlainTransport::receive(void *data, size_t size)
{
    ssize_t got;
    do
        got = recv(m_fd, data, size, MSG_DONTWAIT);
    while (got < 0 && errno == EINTR);
    return got;
}

ssize_t PlainTransport::send(const void *data, size_t size, bool more)
{
    return ::send(m_fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0));
}

ssize_t PlainTransport::sendFile(int fileFd, off_t *offset, size_t count)
{
    return sendfile(m_fd, fileFd, offset, count); // zero-copy: the kernel moves page cache to the socket
}

short PlainTransport::waitEvents() const { return POLLOUT; }

} // namespace ferry::server
