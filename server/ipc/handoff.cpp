#include "ipc/handoff.h"
#include "base/syscall.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>

namespace ferry::server {

namespace {

constexpr uint32_t HandoffMagic = 0x46484f46; // "FHOF"
constexpr size_t PeerFieldSize = 64;

struct WireHeader {
    uint32_t magic;
    HandoffKind kind;
    uint64_t connectionId;
    uint32_t byteCount;
    uint16_t protocolVersion;
    char peer[PeerFieldSize];
};

constexpr size_t MaxMessageSize = sizeof(WireHeader) + MaxHandoffBytes;

// Closes every fd carried by `msg`'s control data (used on any rejected message, so none leaks).
void closeReceivedFds(msghdr &msg)
{
    for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            ::close(fd);
        }
    }
}

// Takes the single fd out of validated control data; -1 if there is none; -2 if malformed.
int extractFd(msghdr &msg)
{
    cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c)
        return -1;
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))
        || CMSG_NXTHDR(&msg, c) != nullptr)
        return -2;
    int fd;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

} // namespace

int makeChannel(UniqueFd &parentEnd, UniqueFd &workerEnd)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        return errno;
    parentEnd.reset(fds[0]);
    workerEnd.reset(fds[1]);
    return 0;
}

int sendHandoff(int channel, const HandoffMessage &message, int flags)
{
    if (message.bytes.size() > MaxHandoffBytes)
        return EMSGSIZE;
    WireHeader header{};
    header.magic = HandoffMagic;
    header.kind = message.kind;
    header.connectionId = message.connectionId;
    header.byteCount = static_cast<uint32_t>(message.bytes.size());
    header.protocolVersion = message.session.protocolVersion;
    std::strncpy(header.peer, message.peer.c_str(), PeerFieldSize - 1);
    iovec iov[2] = {{&header, sizeof header},
                    {const_cast<uint8_t *>(message.bytes.data()), message.bytes.size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = message.bytes.empty() ? 1 : 2;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
    if (message.fd.isValid()) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        int fd = message.fd.get();
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    const ssize_t sent = retryOnEintr([&] { return sendmsg(channel, &msg, flags | MSG_NOSIGNAL); });
    if (sent < 0)
        return errno;
    return size_t(sent) == sizeof header + message.bytes.size() ? 0 : EPROTO;
}

ReceiveResult receiveHandoff(int channel, int flags)
{
    ReceiveResult result;
    thread_local std::vector<uint8_t> buffer(MaxMessageSize + 1);
    iovec iov{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t got = retryOnEintr([&] { return recvmsg(channel, &msg, flags | MSG_CMSG_CLOEXEC); });
    if (got < 0) {
        result.error = errno;
        result.status = (errno == EAGAIN || errno == EWOULDBLOCK) ? ReceiveStatus::WouldBlock : ReceiveStatus::Error;
        return result;
    }
    if (got == 0 && msg.msg_controllen == 0) {
        result.status = ReceiveStatus::Closed;
        return result;
    }
    WireHeader header{};
    bool valid = !(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) && size_t(got) >= sizeof header;
    if (valid) {
        std::memcpy(&header, buffer.data(), sizeof header);
        valid = header.magic == HandoffMagic && header.byteCount == size_t(got) - sizeof header
                && header.kind >= HandoffKind::Dispatch && header.kind <= HandoffKind::DispatchTls;
    }
    int fd = valid ? extractFd(msg) : -2;
    if (fd == -2) {
        closeReceivedFds(msg);
        result.error = EPROTO;
        return result;
    }
    result.status = ReceiveStatus::Ok;
    result.message.kind = header.kind;
    result.message.connectionId = header.connectionId;
    header.peer[PeerFieldSize - 1] = '\0';
    result.message.peer = header.peer;
    result.message.bytes.assign(buffer.begin() + sizeof header, buffer.begin() + got);
    result.message.session.protocolVersion = header.protocolVersion;
    result.message.fd.reset(fd);
    return result;
}

} // namespace ferry::server
