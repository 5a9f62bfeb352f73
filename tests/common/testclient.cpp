#include "testclient.h"

#include <QDeadlineTimer>
#include <QHostAddress>
#include <QIODevice>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ferrytest {

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

Status make(Outcome outcome, std::string message = {})
{
    Status s;
    s.outcome = outcome;
    s.message = std::move(message);
    return s;
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
        return make(Outcome::Failed, "not an IPv4 address: " + host.toStdString());
    }
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m_fd < 0) {
        return make(Outcome::Failed, std::string("socket(): ") + std::strerror(errno));
    }
    if (::connect(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
        const int error = errno;
        close();
        return make(Outcome::Failed, std::string("connect(): ") + std::strerror(error));
    }
    if (!waitFor(m_fd, POLLOUT, QDeadlineTimer(m_timeoutMs))) {
        close();
        return make(Outcome::Timeout, "connect() did not complete");
    }
    int error = 0;
    socklen_t len = sizeof error;
    ::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
        close();
        return make(Outcome::Failed, std::string("connect(): ") + std::strerror(error));
    }
    return make(Outcome::Ok);
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
        return make(Outcome::Closed, "connection closed by the server");
    }
    if (error == ECONNRESET || error == EPIPE) {
        return make(Outcome::Reset, std::string("recv(): ") + std::strerror(error));
    }
    return make(Outcome::Failed, std::string("recv(): ") + std::strerror(error));
}

Status TestClient::fill(int timeoutMs)
{
    if (m_fd < 0) {
        return make(Outcome::Failed, "not connected");
    }
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        const ssize_t n = ::recv(m_fd, readBuffer(), ReadChunk, 0);
        if (n > 0) {
            m_decoder.feed(std::span(reinterpret_cast<const uint8_t *>(m_buffer.data()), size_t(n)));
            if (m_recording) {
                m_transcript.append(m_buffer.data(), n);
            }
            return make(Outcome::Ok);
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            if (!waitFor(m_fd, POLLIN, deadline)) {
                return make(Outcome::Timeout, "no data from the server within " + std::to_string(timeoutMs) + " ms");
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
            return make(Outcome::Ok);
        }
        if (auto *error = std::get_if<proto::DecodeError>(&result)) {
            return make(Outcome::Protocol, std::string("undecodable reply: ") + proto::decodeErrorName(*error));
        }
        if (std::holds_alternative<proto::BodyChunk>(result)) {
            return make(Outcome::Protocol, "raw body bytes where a frame was expected");
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
        Status s = make(Outcome::Error, error->message);
        s.code = error->code;
        return s;
    }
    if (auto *busy = std::get_if<proto::Busy>(&message)) {
        Status s = make(Outcome::Busy, busy->message);
        s.code = proto::ErrorCode::Busy;
        s.retryAfterMs = busy->retryAfterMs;
        return s;
    }
    return make(Outcome::Protocol,
                "unexpected message type 0x" + QByteArray::number(int(proto::typeOf(message)), 16).toStdString());
}

Status TestClient::hello(const std::string &agent)
{
    if (!send(proto::Hello{proto::ProtocolVersion, agent})) {
        return make(Outcome::Failed, "sending HELLO failed");
    }
    proto::Message reply;
    Status s = readMessage(&reply);
    if (!s.ok()) {
        return s;
    }
    if (auto *welcome = std::get_if<proto::Welcome>(&reply)) {
        m_welcome = *welcome;
        return s;
    }
    return answerToStatus(reply);
}

Status TestClient::open(const QString &host, quint16 port)
{
    Status s = connectTo(host, port);
    return s.ok() ? hello() : s;
}

ListResult TestClient::list(const std::string &path)
{
    ListResult result;
    if (!send(proto::ListRequest{path})) {
        result.status = make(Outcome::Failed, "sending LIST failed");
        return result;
    }
    for (;;) {
        proto::Message reply;
        result.status = readMessage(&reply);
        if (!result.status.ok()) {
            return result;
        }
        auto *page = std::get_if<proto::ListPage>(&reply);
        if (!page) {
            result.status = answerToStatus(reply);
            return result;
        }
        ++result.pages;
        result.entries.insert(result.entries.end(), page->entries.begin(), page->entries.end());
        if (page->last) {
            return result;
        }
    }
}

Status TestClient::stat(const std::string &path, proto::Entry *entry)
{
    if (!send(proto::StatRequest{path})) {
        return make(Outcome::Failed, "sending STAT failed");
    }
    proto::Message reply;
    Status s = readMessage(&reply);
    if (!s.ok()) {
        return s;
    }
    if (auto *statReply = std::get_if<proto::StatReply>(&reply)) {
        if (entry) {
            *entry = statReply->entry;
        }
        return s;
    }
    return answerToStatus(reply);
}

Status TestClient::digest(const std::string &path, std::string *digest, uint64_t offset, uint64_t length,
                          proto::DigestAlgo algo)
{
    if (!send(proto::DigestRequest{path, algo, offset, length})) {
        return make(Outcome::Failed, "sending DIGEST failed");
    }
    proto::Message reply;
    Status s = readMessage(&reply);
    if (!s.ok()) {
        return s;
    }
    if (auto *digestReply = std::get_if<proto::DigestReply>(&reply)) {
        *digest = digestReply->digest;
        return s;
    }
    return answerToStatus(reply);
}

Status TestClient::readBody(uint64_t length, const Sink &sink, uint64_t *received)
{
    while (*received < length) {
        if (m_decoder.buffered() > 0) {
            proto::DecodeResult result = m_decoder.next();
            auto *chunk = std::get_if<proto::BodyChunk>(&result);
            if (!chunk) {
                return make(Outcome::Protocol, "decoder gave no body bytes inside a body");
            }
            *received += chunk->bytes.size();
            if (!sink(reinterpret_cast<const char *>(chunk->bytes.data()), chunk->bytes.size())) {
                return make(Outcome::Failed, "the sink refused body bytes");
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
                return make(Outcome::Timeout, "body stalled after " + std::to_string(*received) + " of "
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
            return make(Outcome::Failed, "the sink refused body bytes");
        }
    }
    return make(Outcome::Ok);
}

GetResult TestClient::get(const std::string &path, uint64_t offset, uint64_t length, const Sink &sink)
{
    if (!send(proto::GetRequest{path, offset, length})) {
        GetResult result;
        result.status = make(Outcome::Failed, "sending GET failed");
        return result;
    }
    return readGetReply(sink);
}

GetResult TestClient::readGetReply(const Sink &sink)
{
    GetResult result;
    proto::Message reply;
    result.status = readMessage(&reply);
    if (!result.status.ok()) {
        return result;
    }
    auto *body = std::get_if<proto::Body>(&reply);
    if (!body) {
        result.status = answerToStatus(reply);
        return result;
    }
    result.body = *body;
    result.status = readBody(body->length, sink, &result.received);
    if (!result.status.ok()) {
        return result;
    }
    result.status = readMessage(&reply);
    if (!result.status.ok()) {
        result.status.message += " (waiting for BODY_END)";
        return result;
    }
    auto *end = std::get_if<proto::BodyEnd>(&reply);
    if (!end) {
        result.status = answerToStatus(reply);
        return result;
    }
    result.status = make(end->code == proto::ErrorCode::Ok ? Outcome::Ok : Outcome::Error, end->message);
    result.status.code = end->code;
    return result;
}

GetResult TestClient::get(const std::string &path, uint64_t offset, uint64_t length)
{
    QByteArray data;
    GetResult result = get(path, offset, length, [&data](const char *bytes, size_t size) {
        data.append(bytes, qsizetype(size));
        return true;
    });
    result.data = std::move(data);
    return result;
}

GetResult TestClient::getInto(const std::string &path, QIODevice *device, uint64_t offset, uint64_t length)
{
    return get(path, offset, length, [device](const char *bytes, size_t size) {
        return device->write(bytes, qint64(size)) == qint64(size);
    });
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
