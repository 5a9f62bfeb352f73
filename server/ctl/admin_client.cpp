#include "ctl/admin_client.h"

#include "adminproto/socket_path.h"
#include "base/syscall.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::ctl {

using admin::Json;

namespace {

// Why nothing answered at `path`: no server, or a path that names something else than a socket (a
// mistyped --admin-socket, such as the folder that holds it), which "not running" would hide.
std::string notListeningReason(const std::string &path)
{
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && !S_ISSOCK(info.st_mode)) {
        return path + " is " + (S_ISDIR(info.st_mode) ? "a folder" : "a file") + ", not an admin socket "
            "(ferry-server logs its socket at start: \"admin socket on PATH\")";
    }
    return "ferry-server is not running (nothing listens on " + path + ")";
}

} // namespace

int AdminClient::connect(const std::string &path, std::string &error)
{
    sockaddr_un address{};
    if (!admin::fillAddress(path, address)) {
        error = "admin socket path '" + path + "' is empty or too long";
        return Exit::Usage;
    }
    m_fd = server::UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!m_fd) {
        error = std::string("socket(): ") + std::strerror(errno);
        return Exit::Protocol;
    }
    if (::connect(m_fd.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0) {
        const int err = errno;
        if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR) {
            error = notListeningReason(path);
            return Exit::NotRunning;
        }
        if (err == EACCES || err == EPERM) {
            error = "permission denied connecting to " + path + " (the server's user, root or its admin group only)";
            return Exit::Denied;
        }
        error = "connect() to " + path + ": " + std::strerror(err);
        return Exit::Protocol;
    }
    auto greeting = readMessage(error, 5000);
    if (!greeting)
        return Exit::Protocol;
    if (const Json *e = admin::member(*greeting, "error")) {
        const std::string message = admin::textMember(*e, "message");
        const bool denied = admin::textMember(*e, "code") == "permission_denied";
        error = std::string(denied ? "permission denied by the server" : "the server refused the connection") +
            (message.empty() ? std::string() : ": " + message);
        return denied ? Exit::Denied : Exit::Refused;
    }
    if (admin::textMember(*greeting, "event") != "hello") {
        error = "unexpected greeting from " + path;
        return Exit::Protocol;
    }
    return Exit::Ok;
}

bool AdminClient::writeAll(const std::string &data, std::string &error)
{
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = server::retryOnEintr(
            [&] { return ::send(m_fd.get(), data.data() + done, data.size() - done, MSG_NOSIGNAL); });
        if (n < 0) {
            error = std::string("send() to the admin socket: ") + std::strerror(errno);
            return false;
        }
        done += size_t(n);
    }
    return true;
}

std::optional<Json> AdminClient::readMessage(std::string &error, int timeoutMs)
{
    std::string line;
    for (;;) {
        switch (m_input.next(line)) {
        case admin::LineBuffer::Next::Line: {
            auto parsed = admin::parseJson(line);
            if (!parsed.value || !parsed.value->is_object()) {
                error = "unreadable reply from the server: " + parsed.error;
                return std::nullopt;
            }
            return std::move(parsed.value);
        }
        case admin::LineBuffer::Next::TooLong:
            error = "reply from the server is too long";
            return std::nullopt;
        case admin::LineBuffer::Next::NeedMore:
            break;
        }
        pollfd p{m_fd.get(), POLLIN, 0};
        const int ready = server::retryOnEintr([&] { return ::poll(&p, 1, timeoutMs); });
        if (ready <= 0) {
            error = ready == 0 ? "no answer from the server in time" : std::string("poll(): ") + std::strerror(errno);
            return std::nullopt;
        }
        char buffer[65536];
        const ssize_t n = server::retryOnEintr([&] { return ::recv(m_fd.get(), buffer, sizeof buffer, 0); });
        if (n <= 0) {
            error = n == 0 ? "the server closed the admin connection"
                           : std::string("recv() from the admin socket: ") + std::strerror(errno);
            return std::nullopt;
        }
        m_input.append(std::string_view(buffer, size_t(n)));
    }
}

std::optional<Json> AdminClient::call(Json request, std::string &error, int timeoutMs)
{
    const int64_t id = m_nextId++;
    request["v"] = admin::ProtocolVersion;
    request["id"] = id;
    if (!writeAll(admin::toLine(request), error))
        return std::nullopt;
    for (;;) {
        auto message = readMessage(error, timeoutMs);
        if (!message)
            return std::nullopt;
        if (admin::member(*message, "event"))
            continue;
        const Json *replyId = admin::member(*message, "id");
        if (replyId && *replyId == id)
            return message;
        if (!replyId && admin::member(*message, "error"))
            return message; // a connection-level error (the server is about to close)
    }
}

std::optional<Json> AdminClient::nextEvent(std::string &error, int timeoutMs)
{
    for (;;) {
        auto message = readMessage(error, timeoutMs);
        if (!message || admin::member(*message, "event"))
            return message;
    }
}

} // namespace ferry::ctl
