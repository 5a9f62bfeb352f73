#include "testclient.h"

#include <QDeadlineTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ferrytest {

QByteArray encodeFrames(const std::vector<proto::Message> &messages)
{
    std::vector<uint8_t> bytes;
    for (const proto::Message &m : messages)
        proto::encode(m, bytes);
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

namespace {

// Allocated on first use: a test may hold a thousand idle clients.
constexpr size_t ReadChunk = 64 * 1024;

// Waits for `events` on `fd`; false on timeout. EINTR restarts with the time left.
bool waitFor(int fd, short events, const QDeadlineTimer &deadline)
{
    for (;;) {
        pollfd p{fd, events, 0};
        const int timeout = int(qMin<qint64>(deadline.remainingTime(), INT_MAX));
        const int ready = ::poll(&p, 1, deadline.isForever() ? -1 : timeout);
        if (ready > 0) {
            return true;
        }
        if (ready == 0 || errno != EINTR) {
            return false;
        }
    }
}

} // namespace

const char *outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Ok: return "Ok";
    case Outcome::Error: return "Error";
    case Outcome::Busy: return "Busy";
    case Outcome::Closed: return "Closed";
    case Outcome::Reset: return "Reset";
    case Outcome::Timeout: return "Timeout";
    case Outcome::Protocol: return "Protocol";
    case Outcome::Failed: return "Failed";
    }
    return "?";
}

Status Status::of(Outcome outcome, std::string message)
{
    Status s;
    s.outcome = outcome;
    s.message = std::move(message);
    return s;
}

QString Status::toString() const
{
    QString text = QString::fromLatin1(outcomeName(outcome));
    if (outcome == Outcome::Error) {
        text += u' ' + QString::fromLatin1(proto::errorCodeName(code));
    } else if (outcome == Outcome::Busy) {
        text += QStringLiteral(" retry after %1 ms").arg(retryAfterMs);
    }
    if (!message.empty()) {
        text += QStringLiteral(": ") + QString::fromStdString(message);
    }
    return text;
}

TestClient::TestClient(int timeoutMs) : m_timeoutMs(timeoutMs) {}

char *TestClient::readBuffer()
{
    if (m_buffer.empty()) {
        m_buffer.resize(ReadChunk);
    }
    return m_buffer.data();
}

TestClient::~TestClient()
{
    close();
}

void TestClient::close()
{
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

Status TestClient::connectTo(const QString &host, quint16 port)
{
    close();
    m_decoder = proto::Decoder();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.toLatin1().constData(), &addr.sin_addr) != 1) {
        return Status::of(Outcome::Failed, "not an IPv4 address: " + host.toStdString());
    }
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m_fd < 0) {
        return Status::of(Outcome::Failed, std::string("socket(): ") + std::strerror(errno));
    }
    if (!m_source.isEmpty()) {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        if (::inet_pton(AF_INET, m_source.toLatin1().constData(), &local.sin_addr) != 1
            || ::bind(m_fd, reinterpret_cast<sockaddr *>(&local), sizeof local) != 0) {
            const int error = errno;
            close();
            return Status::of(Outcome::Failed, "bind() to " + m_source.toStdString() + ": " + std::strerror(error));
        }
    }
    if (::connect(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
        const int error = errno;
        close();
        return Status::of(Outcome::Failed, std::string("connect(): ") + std::strerror(error));
    }
    if (!waitFor(m_fd, POLLOUT, QDeadlineTimer(m_timeoutMs))) {
        close();
        return Status::of(Outcome::Timeout, "connect() did not complete");
    }
    int error = 0;
    socklen_t len = sizeof error;
    ::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
        close();
        return Status::of(Outcome::Failed, std::string("connect(): ") + std::strerror(error));
    }
    return Status::of(Outcome::Ok);
}

quint16 TestClient::localPort() const
{
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (m_fd < 0 || ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
        return 0;
    }
    return ntohs(addr.sin_port);
}

bool TestClient::sendRaw(const QByteArray &bytes)
{
    const QDeadlineTimer deadline(m_timeoutMs);
    qsizetype sent = 0;
    while (m_fd >= 0 && sent < bytes.size()) {
        const ssize_t n = ::send(m_fd, bytes.constData() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
        } else if (n < 0 && errno == EAGAIN) {
            if (!waitFor(m_fd, POLLOUT, deadline)) {
                return false;
            }
        } else if (n < 0 && errno != EINTR) {
            return false;
        }
    }
    return m_fd >= 0;
}

bool TestClient::send(const proto::Message &message)
{
    const std::vector<uint8_t> frame = proto::encode(message);
    return sendRaw(QByteArray(reinterpret_cast<const char *>(frame.data()), qsizetype(frame.size())));
}

void TestClient::shutdownWrite()
{
    if (m_fd >= 0) {
        ::shutdown(m_fd, SHUT_WR);
    }
}

bool TestClient::isOpenAndQuiet() const
{
    if (m_fd < 0 || m_decoder.buffered() > 0) {
        return false;
    }
    char byte;
    const ssize_t n = ::recv(m_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

Status TestClient::endOfStream(ssize_t result, int error) const
{
    if (result == 0) {
        return Status::of(Outcome::Closed, "connection closed by the server");
    }
    if (error == ECONNRESET || error == EPIPE) {
        return Status::of(Outcome::Reset, std::string("recv(): ") + std::strerror(error));
    }
    return Status::of(Outcome::Failed, std::string("recv(): ") + std::strerror(error));
}

Status TestClient::fill(int timeoutMs)
{
    if (m_fd < 0) {
        return Status::of(Outcome::Failed, "not connected");
    }
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        const ssize_t n = ::recv(m_fd, readBuffer(), ReadChunk, 0);
        if (n > 0) {
            m_decoder.feed(std::span(reinterpret_cast<const uint8_t *>(m_buffer.data()), size_t(n)));
            if (m_recording) {
                m_transcript.append(m_buffer.data(), n);
            }
            return Status::of(Outcome::Ok);
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            if (!waitFor(m_fd, POLLIN, deadline)) {
                return Status::of(Outcome::Timeout,
                                  "no data from the server within " + std::to_string(timeoutMs) + " ms");
            }
            continue;
        }
        return endOfStream(n, errno);
    }
}

Status TestClient::readMessage(proto::Message *out)
{
    const QDeadlineTimer deadline(m_timeoutMs);
    for (;;) {
        proto::DecodeResult result = m_decoder.next();
        if (auto *message = std::get_if<proto::Message>(&result)) {
            *out = std::move(*message);
            return Status::of(Outcome::Ok);
        }
        if (auto *error = std::get_if<proto::DecodeError>(&result)) {
            return Status::of(Outcome::Protocol, std::string("undecodable reply: ") + proto::decodeErrorName(*error));
        }
        if (std::holds_alternative<proto::BodyChunk>(result)) {
            return Status::of(Outcome::Protocol, "raw body bytes where a frame was expected");
        }
        Status s = fill(int(qMax<qint64>(0, deadline.remainingTime())));
        if (!s.ok()) {
            if (s.outcome == Outcome::Closed && m_decoder.buffered() > 0) {
                s.message = "connection closed in the middle of a frame";
            }
            return s;
        }
    }
}

Status TestClient::answerToStatus(const proto::Message &message) const
{
    if (auto *error = std::get_if<proto::Error>(&message)) {
        Status s = Status::of(Outcome::Error, error->message);
        s.code = error->code;
        return s;
    }
    if (auto *busy = std::get_if<proto::Busy>(&message)) {
        Status s = Status::of(Outcome::Busy, busy->message);
        s.code = proto::ErrorCode::Busy;
        s.retryAfterMs = busy->retryAfterMs;
        return s;
    }
    return Status::of(Outcome::Protocol,
                "unexpected message type 0x" + QByteArray::number(int(proto::typeOf(message)), 16).toStdString());
}

Status TestClient::readBody(uint64_t length, const Sink &sink, uint64_t *received)
{
    while (*received < length) {
        if (m_decoder.buffered() > 0) {
            proto::DecodeResult result = m_decoder.next();
            auto *chunk = std::get_if<proto::BodyChunk>(&result);
            if (!chunk) {
                return Status::of(Outcome::Protocol, "decoder gave no body bytes inside a body");
            }
            *received += chunk->bytes.size();
            if (!sink(reinterpret_cast<const char *>(chunk->bytes.data()), chunk->bytes.size())) {
                return Status::of(Outcome::Failed, "the sink refused body bytes");
            }
            continue;
        }
        // Nothing buffered: read straight from the socket, the decoder only keeps count.
        const size_t want = size_t(qMin<uint64_t>(length - *received, ReadChunk));
        const ssize_t n = ::recv(m_fd, readBuffer(), want, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            if (!waitFor(m_fd, POLLIN, QDeadlineTimer(m_timeoutMs))) {
                return Status::of(Outcome::Timeout, "body stalled after " + std::to_string(*received) + " of "
                                                  + std::to_string(length) + " bytes");
            }
            continue;
        }
        if (n <= 0) {
            Status s = endOfStream(n, errno);
            s.message += " after " + std::to_string(*received) + " of " + std::to_string(length) + " body bytes";
            return s;
        }
        if (m_recording) {
            m_transcript.append(m_buffer.data(), n);
        }
        m_decoder.consumeBodyDirect(uint64_t(n));
        *received += uint64_t(n);
        if (!sink(m_buffer.data(), size_t(n))) {
            return Status::of(Outcome::Failed, "the sink refused body bytes");
        }
    }
    return Status::of(Outcome::Ok);
}

Status TestClient::waitForClose(std::vector<proto::Message> *frames, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs < 0 ? m_timeoutMs : timeoutMs);
    for (;;) {
        proto::DecodeResult result = m_decoder.next();
        if (auto *message = std::get_if<proto::Message>(&result)) {
            if (frames) {
                frames->push_back(std::move(*message));
            }
            continue;
        }
        if (!std::holds_alternative<proto::NeedMore>(result)) {
            // Undecodable or raw bytes: the rest of the stream cannot be framed; just drain it.
            m_decoder = proto::Decoder();
        }
        Status s = fill(int(qMax<qint64>(0, deadline.remainingTime())));
        if (!s.ok()) {
            return s;
        }
    }
}

} // namespace ferrytest
