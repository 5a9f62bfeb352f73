// Dispatcher, the intake: reading a new or parked connection, decoding HELLO and the first request,
// and answering the handshake (WELCOME) the moment it is owed.
#include "parent/dispatcher.h"

#include "net/wire_errors.h"
#include "base/syscall.h"

#include <cerrno>
#include <sys/socket.h>

namespace ferry::server {

namespace {

bool isClientRequest(const proto::Message &message)
{
    return std::holds_alternative<proto::ListRequest>(message) || std::holds_alternative<proto::StatRequest>(message)
           || std::holds_alternative<proto::GetRequest>(message)
           || std::holds_alternative<proto::DigestRequest>(message)
           || std::holds_alternative<proto::AuthRequest>(message)        // a version 1 connection's worker
           || std::holds_alternative<proto::ManifestRequest>(message)    // refuses these three; a version 2
           || std::holds_alternative<proto::Bye>(message);               // one's closes after BYE
}

} // namespace

void Dispatcher::onReadable(uint64_t id)
{
    Connection *connection = find(id);
    if (!connection || !connection->fd)
        return;
    if (connection->proxy != ProxyStep::Done && !readProxyHeader(*connection))
        return;
    // With --plaintext only no TLS is ever handed on unread, so nothing needs peeking at: the first read
    // is judged instead (readPlaintextOnly()), one recv() per connection instead of two.
    const bool peek = m_limits.plaintext != PlaintextPolicy::Only;
    if (peek && (connection->wire == Wire::Unknown || connection->wire == Wire::TlsHello) && !sniff(*connection))
        return;
    uint8_t buffer[16 * 1024];
    const ssize_t got =
        retryOnEintr([&] { return recv(connection->fd.get(), buffer, sizeof buffer, MSG_DONTWAIT); });
    if (got > 0 && connection->wire == Wire::Unknown && !judgeFirstRead(*connection, buffer[0]))
        return;
    if (got > 0)
        connection->decoder.feed({buffer, size_t(got)});
    else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        connection->peerClosed = true;
    decodeBuffered(*connection);
}

void Dispatcher::decodeBuffered(Connection &connection)
{
    uint64_t id = connection.id;
    for (;;) {
        proto::DecodeResult result = connection.decoder.next();
        if (auto *message = std::get_if<proto::Message>(&result)) {
            if (!onMessage(connection, std::move(*message)))
                return; // dispatched, queued or closed
            continue;
        }
        if (std::holds_alternative<proto::NeedMore>(result)) {
            if (!sendOwedWelcome(connection) || connection.peerClosed)
                finish(id, std::nullopt);
            return;
        }
        ++m_stats.badRequests;
        proto::Error error{proto::ErrorCode::BadRequest, "a client never sends a body"};
        if (auto *decodeError = std::get_if<proto::DecodeError>(&result)) {
            error.code = proto::errorCodeFor(*decodeError);
            error.message = describeDecodeError(*decodeError);
        }
        finish(id, error);
        return;
    }
}

bool Dispatcher::onMessage(Connection &connection, proto::Message &&message)
{
    uint64_t id = connection.id;
    if (auto *hello = std::get_if<proto::Hello>(&message)) {
        uint16_t &version = connection.session.protocolVersion;
        if (version != 0 && version != hello->version) { // the first HELLO fixed the version (PROTOCOL.md §10)
            finish(id, proto::Error{proto::ErrorCode::UnsupportedVersion,
                                    "this connection speaks protocol version " + std::to_string(version)});
            return false;
        }
        version = hello->version;
        // Answered once we know whether a request came with it (see sendOwedWelcome()).
        if (!sendOwedWelcome(connection)) { // a second HELLO in a row: the first one's answer goes first
            finish(id, std::nullopt);
            return false;
        }
        connection.welcomeOwed = true;
        if (connection.state == State::Handshake)
            setState(connection, State::Waiting); // the request deadline keeps counting from accept
        return true;
    }
    if (connection.state == State::Handshake || !isClientRequest(message)) {
        ++m_stats.badRequests;
        proto::Error error{proto::ErrorCode::BadRequest, connection.state == State::Handshake
                                                             ? "the first message must be HELLO"
                                                             : "a client may not send this message type"};
        finish(id, error);
        return false;
    }
    connection.request = proto::encode(message);
    std::vector<uint8_t> rest = connection.decoder.takeBuffered();
    connection.request.insert(connection.request.end(), rest.begin(), rest.end());
    dispatchOrQueue(connection);
    return false;
}

bool Dispatcher::sendOwedWelcome(Connection &connection)
{
    if (!connection.welcomeOwed)
        return true;
    connection.welcomeOwed = false;
    // Plaintext: the parent never sees a TLS connection's HELLO.
    return sendNow(connection, serverWelcome(connection.session.protocolVersion, false, m_limits.authCapability));
}

bool Dispatcher::sendNow(Connection &connection, const proto::Message &message)
{
    // Only small frames go out from the parent, into a socket buffer that holds far more; a client that
    // has not read the few bytes before is not worth waiting for.
    std::vector<uint8_t> frame = proto::encode(message);
    const ssize_t sent = retryOnEintr(
        [&] { return ::send(connection.fd.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL); });
    return sent == ssize_t(frame.size());
}

} // namespace ferry::server
