#include "adminconnection.h"

#include <QElapsedTimer>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using ferry::admin::Json;

AdminConnection::~AdminConnection()
{
    close();
}

void AdminConnection::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

void AdminConnection::shutdownWrite()
{
    if (m_fd >= 0)
        ::shutdown(m_fd, SHUT_WR);
}

bool AdminConnection::open(const QString &path)
{
    close();
    m_buffer.clear();
    m_eof = false;
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const QByteArray p = path.toLocal8Bit();
    if (m_fd < 0 || size_t(p.size()) >= sizeof address.sun_path)
        return false;
    std::memcpy(address.sun_path, p.constData(), size_t(p.size()));
    if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
        return false;
    auto hello = next(5000);
    if (!hello)
        return false;
    m_greeting = *hello;
    return textAt(*hello, {"event"}) == "hello";
}

bool AdminConnection::fill(int timeoutMs)
{
    if (m_eof || m_fd < 0)
        return false;
    pollfd p{m_fd, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0)
        return false;
    char buffer[65536];
    const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
        m_eof = true;
        return false;
    }
    m_buffer.append(buffer, size_t(n));
    return true;
}

bool AdminConnection::waitForData(int timeoutMs)
{
    if (!m_buffer.empty())
        return true;
    pollfd p{m_fd, POLLIN, 0};
    return m_fd >= 0 && ::poll(&p, 1, timeoutMs) > 0;
}

std::optional<Json> AdminConnection::next(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        const size_t newline = m_buffer.find('\n');
        if (newline != std::string::npos) {
            const std::string line = m_buffer.substr(0, newline);
            m_buffer.erase(0, newline + 1);
            return ferry::admin::parseJson(line).value; // nullopt if the server ever wrote bad JSON
        }
        const int left = timeoutMs - int(timer.elapsed());
        if (left <= 0 || !fill(left))
            return std::nullopt;
    }
}

std::optional<Json> AdminConnection::nextEvent(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        auto message = next(std::max(1, timeoutMs - int(timer.elapsed())));
        if (!message || ferry::admin::member(*message, "event"))
            return message;
    }
}

bool AdminConnection::sendRaw(const QByteArray &bytes)
{
    qsizetype done = 0;
    while (done < bytes.size()) {
        pollfd p{m_fd, POLLOUT, 0};
        if (::poll(&p, 1, 5000) <= 0)
            return false;
        const ssize_t n = ::send(m_fd, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += n;
    }
    return true;
}

std::optional<Json> AdminConnection::call(const std::string &cmd, Json args, int timeoutMs)
{
    const int64_t id = m_nextId++;
    Json request{{"v", 1}, {"id", id}, {"cmd", cmd}};
    for (const auto &[key, value] : args.items())
        request[key] = value;
    if (!sendRaw(QByteArray::fromStdString(request.dump() + "\n")))
        return std::nullopt;
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        auto message = next(std::max(1, timeoutMs - int(timer.elapsed())));
        if (!message)
            return std::nullopt;
        const Json *replyId = ferry::admin::member(*message, "id");
        if (replyId && *replyId == id)
            return message;
    }
}

bool AdminConnection::waitForClose(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!m_eof) {
        const int left = timeoutMs - int(timer.elapsed());
        if (left <= 0)
            return false;
        fill(left);
        m_buffer.clear();
    }
    return true;
}

const Json &at(const Json &json, std::initializer_list<const char *> path)
{
    static const Json null;
    const Json *current = &json;
    for (const char *key : path) {
        current = ferry::admin::member(*current, key);
        if (!current)
            return null;
    }
    return *current;
}

int64_t intAt(const Json &json, std::initializer_list<const char *> path)
{
    const Json &value = at(json, path);
    return value.is_number_integer() ? value.get<int64_t>() : 0;
}

std::string textAt(const Json &json, std::initializer_list<const char *> path)
{
    const Json &value = at(json, path);
    return value.is_string() ? value.get<std::string>() : std::string();
}
