// libFuzzer target: receiveHandoff(), the parent's and the workers' parser of handoff datagrams
// (server/ipc/handoff.h), on arbitrary datagrams carrying zero to three file descriptors.
//
// Input: one control byte, then the datagram. Control bits 0-1: how many fds travel with it (SCM_RIGHTS,
// copies of /dev/null); bit 2: two control messages of one fd each instead of one. Checked on every
// input, besides the sanitizers' own checks:
//   - no descriptor leaks, whether the message is accepted or refused (the lowest free fd number is the
//     same before and after);
//   - an accepted message is exactly what the datagram said (kind in range, the bytes after the header,
//     a NUL-free peer shorter than its field), with an fd exactly when one was sent, and it survives
//     sendHandoff() -> receiveHandoff() unchanged;
//   - a datagram with more than one fd is refused.
#include "ipc/handoff.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace ferry::server;

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
    std::abort();
}

int devNull()
{
    static const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd;
}

// The lowest descriptor number the next open would get.
int lowestFreeFd()
{
    const int fd = ::dup(devNull());
    ::close(fd);
    return fd;
}

// Sends `datagram` with `fds` copies of /dev/null, in one control message or (`split`) in several.
bool sendRaw(int channel, const uint8_t *datagram, size_t size, int fds, bool split)
{
    iovec iov{const_cast<uint8_t *>(datagram), size};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 3) * 3]{};
    if (fds > 0) {
        msg.msg_control = control;
        const int perMessage = split ? 1 : fds;
        const int messages = split ? fds : 1;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * size_t(perMessage)) * size_t(messages);
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        for (int m = 0; m < messages; ++m, c = CMSG_NXTHDR(&msg, c)) {
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * size_t(perMessage));
            for (int i = 0; i < perMessage; ++i) {
                const int fd = devNull();
                std::memcpy(CMSG_DATA(c) + sizeof(int) * size_t(i), &fd, sizeof fd);
            }
        }
    }
    return ::sendmsg(channel, &msg, MSG_NOSIGNAL) == ssize_t(size);
}

void checkAccepted(const ReceiveResult &received, size_t datagramSize, int fdsSent)
{
    const HandoffMessage &m = received.message;
    if (m.kind < HandoffKind::Dispatch || m.kind > HandoffKind::DispatchTls)
        violated("an accepted kind out of range");
    if (m.peer.size() >= 64 || m.peer.find('\0') != std::string::npos)
        violated("an accepted peer overruns its field");
    if (m.bytes.size() > MaxHandoffBytes || m.bytes.size() >= datagramSize)
        violated("accepted bytes do not fit the datagram");
    if (m.fd.isValid() != (fdsSent == 1))
        violated("an fd accepted that was not sent alone, or one sent and lost");
}

void checkRoundTrip(int sender, int receiver, const HandoffMessage &message)
{
    if (sendHandoff(sender, message) != 0)
        violated("sendHandoff() refused an accepted message");
    const ReceiveResult again = receiveHandoff(receiver);
    const HandoffMessage &m = again.message;
    if (again.status != ReceiveStatus::Ok || m.kind != message.kind || m.connectionId != message.connectionId
        || m.peer != message.peer || m.bytes != message.bytes || m.fd.isValid() != message.fd.isValid())
        violated("send -> receive changed a message");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) // a 0-byte datagram reads as the peer's close, which is not a message
        return 0;
    const int fds = data[0] & 0x03;
    const bool split = (data[0] & 0x04) && fds > 1;
    UniqueFd parentEnd, workerEnd;
    if (makeChannel(parentEnd, workerEnd) != 0)
        return 0;
    const int lowest = lowestFreeFd();
    if (!sendRaw(parentEnd.get(), data + 1, size - 1, fds, split))
        return 0; // larger than the socket takes: never delivered, nothing to parse
    {
        const ReceiveResult received = receiveHandoff(workerEnd.get());
        if (received.status == ReceiveStatus::Ok) {
            if (fds > 1)
                violated("a datagram with several fds was accepted");
            checkAccepted(received, size - 1, fds);
            checkRoundTrip(workerEnd.get(), parentEnd.get(), received.message);
        } else if (received.status != ReceiveStatus::Error || received.error != EPROTO) {
            violated("a refusal that is not EPROTO");
        }
    } // the accepted message's fd closes here
    if (lowestFreeFd() != lowest)
        violated("a descriptor leaked");
    return 0;
}
