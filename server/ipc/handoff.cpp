#include "ipc/handoff.h"
#include "base/syscall.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>

namespace ferry::server {

namespace {

constexpr uint32_t HandoffMagic = 0x46484f46; // "FHOF"
constexpr size_t PeerFieldSize = 64;
constexpr uint32_t HasFd = 1; // WireHeader::flags: this record's fd is the next one in the control data

// One record per message; a datagram is one or more records back to back, each followed by its bytes.
struct WireHeader {
    uint32_t magic;
    HandoffKind kind;
    uint64_t connectionId;
    uint32_t byteCount;
    uint32_t flags;
    uint16_t protocolVersion; // SessionState
    uint32_t tokenSlot;
    uint32_t tokenSerial;
    int64_t deadlineNs;
    char peer[PeerFieldSize];
};

constexpr size_t MaxMessageSize = sizeof(WireHeader) + MaxHandoffBytes; // a whole datagram, batch or not
// Room for a few fds more than a batch may carry, so that a peer sending too many is seen (and refused)
// rather than cut off by the kernel.
constexpr size_t ControlFdRoom = MaxHandoffBatch + 4;

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

// The fds of validated control data: none, or one SCM_RIGHTS block of at most a batch. False if malformed.
bool collectFds(msghdr &msg, int *fds, size_t &count)
{
    count = 0;
    cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c)
        return true;
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(sizeof(int))
        || CMSG_NXTHDR(&msg, c) != nullptr)
        return false;
    count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    if (count > MaxHandoffBatch || c->cmsg_len != CMSG_LEN(count * sizeof(int)))
        return false;
    std::memcpy(fds, CMSG_DATA(c), count * sizeof(int));
    return true;
}

struct Record {
    WireHeader header;
    size_t bytesAt = 0; // offset of its bytes in the datagram
    int fd = -1;
};

// Splits a datagram into records, pairing each record that says HasFd with the next fd. False unless
// every byte belongs to a well-formed record and every fd to one record.
bool parseRecords(const uint8_t *data, size_t size, const int *fds, size_t fdCount, std::vector<Record> &records)
{
    size_t at = 0, fdsUsed = 0;
    while (at < size) {
        Record record;
        if (records.size() == MaxHandoffBatch || size - at < sizeof record.header)
            return false;
        std::memcpy(&record.header, data + at, sizeof record.header);
        const WireHeader &h = record.header;
        at += sizeof h;
        if (h.magic != HandoffMagic || h.kind < HandoffKind::Dispatch || h.kind > HandoffKind::DispatchTls
            || (h.flags & ~HasFd) != 0 || h.byteCount > size - at)
            return false;
        if (h.flags & HasFd) {
            if (fdsUsed == fdCount)
                return false;
            record.fd = fds[fdsUsed++];
        }
        record.bytesAt = at;
        at += h.byteCount;
        records.push_back(record);
    }
    return !records.empty() && fdsUsed == fdCount;
}

void fillHeader(WireHeader &header, const HandoffMessage &message)
{
    header.magic = HandoffMagic;
    header.kind = message.kind;
    header.connectionId = message.connectionId;
    header.byteCount = static_cast<uint32_t>(message.bytes.size());
    header.flags = message.fd.isValid() ? HasFd : 0;
    header.protocolVersion = message.session.protocolVersion;
    header.tokenSlot = message.session.tokenSlot;
    header.tokenSerial = message.session.tokenSerial;
    header.deadlineNs = message.deadlineNs;
    std::strncpy(header.peer, message.peer.c_str(), PeerFieldSize - 1);
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
    return sendHandoffs(channel, {&message, 1}, flags);
}

int sendHandoffs(int channel, std::span<const HandoffMessage> messages, int flags)
{
    if (messages.empty() || messages.size() > MaxHandoffBatch)
        return EMSGSIZE;
    WireHeader headers[MaxHandoffBatch]{};
    iovec iov[2 * MaxHandoffBatch];
    int fds[MaxHandoffBatch];
    size_t iovCount = 0, fdCount = 0, total = 0;
    for (size_t i = 0; i < messages.size(); ++i) {
        const HandoffMessage &message = messages[i];
        if (message.bytes.size() > MaxHandoffBytes)
            return EMSGSIZE;
        fillHeader(headers[i], message);
        if (message.fd.isValid())
            fds[fdCount++] = message.fd.get();
        iov[iovCount++] = {&headers[i], sizeof headers[i]};
        if (!message.bytes.empty())
            iov[iovCount++] = {const_cast<uint8_t *>(message.bytes.data()), message.bytes.size()};
        total += sizeof headers[i] + message.bytes.size();
    }
    if (total > MaxMessageSize)
        return EMSGSIZE;
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = iovCount;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * MaxHandoffBatch)]{};
    if (fdCount > 0) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fdCount);
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fdCount);
        std::memcpy(CMSG_DATA(c), fds, sizeof(int) * fdCount);
    }
    const ssize_t sent = retryOnEintr([&] { return sendmsg(channel, &msg, flags | MSG_NOSIGNAL); });
    if (sent < 0)
        return errno;
    return size_t(sent) == total ? 0 : EPROTO;
}

ReceiveBatch receiveHandoffs(int channel, int flags)
{
    ReceiveBatch result;
    thread_local std::vector<uint8_t> buffer(MaxMessageSize + 1);
    iovec iov{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * ControlFdRoom)];
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
    int fds[ControlFdRoom];
    size_t fdCount = 0;
    std::vector<Record> records;
    const bool valid = !(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) && collectFds(msg, fds, fdCount)
                       && parseRecords(buffer.data(), size_t(got), fds, fdCount, records);
    if (!valid) {
        closeReceivedFds(msg);
        result.error = EPROTO;
        return result;
    }
    result.status = ReceiveStatus::Ok;
    result.messages.resize(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
        Record &record = records[i];
        HandoffMessage &message = result.messages[i];
        message.kind = record.header.kind;
        message.connectionId = record.header.connectionId;
        record.header.peer[PeerFieldSize - 1] = '\0';
        message.peer = record.header.peer;
        message.bytes.assign(buffer.begin() + ptrdiff_t(record.bytesAt),
                             buffer.begin() + ptrdiff_t(record.bytesAt + record.header.byteCount));
        message.session.protocolVersion = record.header.protocolVersion;
        message.session.tokenSlot = record.header.tokenSlot;
        message.session.tokenSerial = record.header.tokenSerial;
        message.deadlineNs = record.header.deadlineNs;
        message.fd.reset(record.fd);
    }
    return result;
}

ReceiveResult receiveHandoff(int channel, int flags)
{
    ReceiveBatch batch = receiveHandoffs(channel, flags);
    ReceiveResult result;
    result.status = batch.status;
    result.error = batch.error;
    if (batch.status != ReceiveStatus::Ok)
        return result;
    if (batch.messages.size() != 1) { // a batch where one message was expected: its fds close with it
        result.status = ReceiveStatus::Error;
        result.error = EPROTO;
        return result;
    }
    result.message = std::move(batch.messages.front());
    return result;
}

} // namespace ferry::server
