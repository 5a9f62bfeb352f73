// Dispatcher, the first bytes: one port serves TLS and (when allowed) plaintext Ferry. A TLS client waits
// here, unread, until its whole ClientHello has arrived, so a client that connects and stalls never
// reaches a worker (as a plaintext one never does before its first request); then a worker does the
// handshake and keeps the connection (docs/SECURITY.md, "Where TLS lives").
#include "parent/dispatcher.h"

#include "base/log.h"
#include "tls/first_bytes.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace ferry::server {

namespace {

constexpr char TlsRequiredText[] = "this server speaks Ferry only inside TLS: connect with TLS "
                                   "(ferry-get and Ferry Downloader do unless told --plaintext)";

// How much sniff() peeks at once: a whole ClientHello of Ferry's clients (about 300 bytes from OpenSSL
// 3.0 and Qt) and of browsers with post-quantum key shares (about 1.8 KiB), so one recv() says both what
// a client speaks and whether its ClientHello is all there. Only a first record this long or longer is
// measured with FIONREAD too. Bounded so that a client sending a byte at a time costs at most this much
// copying per wake-up, not the whole record's 16 KiB.
constexpr size_t SniffPeekSize = 2048;
static_assert(SniffPeekSize >= tls::FirstRecordHeadSize && SniffPeekSize <= tls::MaxFirstRecord);

} // namespace

bool Dispatcher::sniff(Connection &connection)
{
    // What has arrived, up to SniffPeekSize, stays in the socket: a TLS connection goes to its worker
    // unread, and a plaintext one is read for real in onReadable().
    uint8_t peeked[SniffPeekSize];
    ssize_t got;
    do
        got = recv(connection.fd.get(), peeked, sizeof peeked, MSG_PEEK | MSG_DONTWAIT);
    while (got < 0 && errno == EINTR);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        connection.peerClosed = true; // gone before saying anything: nothing is owed
        finish(connection.id, std::nullopt);
        return false;
    }
    if (got < 0)
        return false; // nothing yet: the request timeout runs
    std::span<const uint8_t> bytes(peeked, size_t(got));
    switch (tls::classifyFirstBytes(bytes)) {
    case tls::Speaks::NeedMore: return false;
    case tls::Speaks::Other: connection.wire = Wire::Ferry; return true; // the decoder answers HTTP as before
    case tls::Speaks::Ferry:
        if (m_limits.plaintext == PlaintextPolicy::Refuse) {
            ++m_stats.badRequests;
            connection.wire = Wire::Ferry;
            finish(connection.id, proto::Error{proto::ErrorCode::TlsRequired, TlsRequiredText});
            return false;
        }
        connection.wire = Wire::Ferry;
        return true;
    case tls::Speaks::Tls: return awaitClientHello(connection, bytes); // --plaintext only: judgeFirstRead()
    }
    return false;
}

bool Dispatcher::judgeFirstRead(Connection &connection, uint8_t first)
{
    // --plaintext only: one byte tells a TLS record (a handshake record's type) from a Ferry frame or
    // anything else, which the decoder answers as before.
    if (first != tls::HandshakeRecordType) {
        connection.wire = Wire::Ferry;
        return true;
    }
    ++m_stats.badRequests;
    LOG_DEBUG("connection %llu from %s: TLS, but --plaintext only", (unsigned long long)connection.id,
              connection.peer.c_str());
    connection.wire = Wire::Tls;
    // Not sent (a TLS client cannot read it): it says in the audit log why the connection closed.
    finish(connection.id, proto::Error{proto::ErrorCode::BadRequest, "TLS to a --plaintext only server"});
    return false;
}

bool Dispatcher::awaitClientHello(Connection &connection, std::span<const uint8_t> bytes)
{
    // A peek that filled its buffer may have left more unseen; one that did not saw all there is.
    size_t available = bytes.size();
    if (int queued = 0; available == SniffPeekSize && ioctl(connection.fd.get(), FIONREAD, &queued) == 0)
        available = std::max(available, size_t(queued));
    switch (tls::checkFirstRecord(bytes, available)) {
    case tls::FirstRecord::Malformed:
        ++m_stats.badRequests;
        connection.wire = Wire::Tls;
        finish(connection.id, proto::Error{proto::ErrorCode::BadRequest, "a malformed TLS record"}); // not sent
        return false;
    case tls::FirstRecord::Complete:
        connection.wire = Wire::Tls;
        dispatchOrQueue(connection);
        return false;
    case tls::FirstRecord::NeedMore: break;
    }
    // The bytes stay in the socket, so level-triggered epoll would report them again at once: watch
    // edge-triggered, woken only when more arrive. The request timeout (armed at accept) still runs.
    connection.wire = Wire::TlsHello;
    constexpr uint32_t Events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    uint64_t id = connection.id;
    int fd = connection.fd.get();
    int error = m_loop.isWatched(fd) ? m_loop.modify(fd, Events)
                                     : m_loop.add(fd, Events, [this, id](uint32_t) { onReadable(id); });
    if (error != 0) {
        LOG_ERROR("epoll_ctl() watching connection %llu: %s", (unsigned long long)id, std::strerror(error));
        finish(id, std::nullopt);
    }
    return false;
}

} // namespace ferry::server
