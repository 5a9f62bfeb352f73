#include "metrics/metrics_http.h"

#include "base/log.h"
#include "base/syscall.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace ferry::metrics {

using server::retryOnEintr;

using server::UniqueFd;

namespace {

// Refusals are one sentence, so that a person trying the port with curl learns what it is for.
std::string refusalBody(HttpVerdict verdict)
{
    switch (verdict) {
    case HttpVerdict::NotFound: return "Not found: this port serves only /metrics.\n";
    case HttpVerdict::NotAllowed: return "Method not allowed: this port answers only GET /metrics.\n";
    case HttpVerdict::TooLarge: return "Request too large: the request line and headers exceed 8 KiB.\n";
    case HttpVerdict::BadRequest:
    case HttpVerdict::Incomplete:
    case HttpVerdict::Serve: break;
    }
    return "Bad request: expected an HTTP/1.1 request such as 'GET /metrics HTTP/1.1'.\n";
}

} // namespace

MetricsHttpServer::MetricsHttpServer(server::EventLoop &loop, UniqueFd listener, Render render)
    : m_loop(loop), m_listener(std::move(listener)), m_render(std::move(render)), m_closer(loop)
{
    if (int error = m_loop.add(m_listener.get(), EPOLLIN, [this](uint32_t) { onAcceptable(); }); error != 0)
        LOG_ERROR("epoll_ctl() adding the metrics listener: %s", std::strerror(error));
}

MetricsHttpServer::~MetricsHttpServer()
{
    for (auto &[id, client] : m_clients) {
        m_loop.cancelTimer(client->deadline);
        m_loop.remove(client->fd.get());
    }
    m_loop.remove(m_listener.get());
}

void MetricsHttpServer::onAcceptable()
{
    // Bounded per wake-up, like the main listener: a flood must not starve the parent's other work.
    for (int i = 0; i < 16; ++i) {
        const int fd =
            retryOnEintr([&] { return accept4(m_listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); });
        if (fd >= 0) {
            admit(UniqueFd(fd));
            continue;
        }
        if (errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            LOG_WARN("accept4() on the metrics listener: %s", std::strerror(errno));
        return;
    }
}

void MetricsHttpServer::admit(UniqueFd fd)
{
    if (m_clients.size() + m_closer.count() >= MaxHttpClients) {
        LOG_DEBUG("metrics endpoint: %zu clients already, closing a new one", MaxHttpClients);
        return; // closes it: a scraper retries at its next interval
    }
    const uint64_t id = m_nextId++;
    auto client = std::make_unique<Client>();
    client->fd = std::move(fd);
    if (m_loop.add(client->fd.get(), EPOLLIN, [this, id](uint32_t) { onClientEvent(id); }) != 0)
        return;
    client->deadline = m_loop.addTimer(HttpDeadline, [this, id] { onDeadline(id); });
    m_clients.emplace(id, std::move(client));
}

void MetricsHttpServer::onClientEvent(uint64_t id)
{
    auto it = m_clients.find(id);
    if (it == m_clients.end())
        return;
    Client &client = *it->second;
    if (!client.output.empty())
        flush(id, client);
    else
        readFrom(id, client); // an error or hang-up shows there as a failed or empty read
}

bool MetricsHttpServer::readFrom(uint64_t id, Client &client)
{
    char buffer[2048];
    for (;;) {
        const ssize_t got = retryOnEintr([&] { return recv(client.fd.get(), buffer, sizeof buffer, 0); });
        if (got > 0) {
            // Never keep more than the parser looks at: one byte past the bound is enough to refuse.
            client.input.append(buffer, std::min(size_t(got), MaxRequestBytes + 1 - client.input.size()));
            const HttpRequest request = parseHttpRequest(client.input);
            if (request.verdict == HttpVerdict::Serve)
                reply(id, client, "200 OK", contentType(request.format), rendered(request.format));
            else if (request.verdict != HttpVerdict::Incomplete)
                reply(id, client, std::string(statusLine(request.verdict)), "text/plain; charset=utf-8",
                      refusalBody(request.verdict));
            if (request.verdict != HttpVerdict::Incomplete)
                return true;
            continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        finish(id, false); // EOF before a whole request, or an error: nothing to answer
        return false;
    }
}

void MetricsHttpServer::reply(uint64_t id, Client &client, const std::string &status, std::string_view type,
                              const std::string &body)
{
    std::string &out = client.output;
    out = "HTTP/1.1 " + status + "\r\nContent-Type: " + std::string(type)
        + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nCache-Control: no-store\r\nConnection: close\r\n";
    if (status.starts_with("405"))
        out += "Allow: GET\r\n";
    out += "\r\n" + body;
    client.input.clear();
    flush(id, client);
}

void MetricsHttpServer::flush(uint64_t id, Client &client)
{
    while (client.written < client.output.size()) {
        const ssize_t sent = retryOnEintr([&] {
            return send(client.fd.get(), client.output.data() + client.written, client.output.size() - client.written,
                        MSG_NOSIGNAL);
        });
        if (sent > 0) {
            client.written += size_t(sent);
            continue;
        }
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (m_loop.modify(client.fd.get(), EPOLLOUT) != 0)
                break; // cannot wait for room: give up on this scrape rather than never finish it
            return;
        }
        finish(id, false);
        return;
    }
    if (client.written < client.output.size()) {
        finish(id, false);
        return;
    }
    finish(id, true);
}

void MetricsHttpServer::onDeadline(uint64_t id)
{
    auto it = m_clients.find(id);
    if (it == m_clients.end())
        return;
    Client &client = *it->second;
    client.deadline = 0;
    if (!client.output.empty()) {
        finish(id, false); // it did not read its reply in time
        return;
    }
    reply(id, client, "408 Request Timeout", "text/plain; charset=utf-8",
          "Request timeout: no complete request within 5 seconds.\n");
    // If even that did not fit in the socket buffer, the client has it as far as it goes: cut it now.
    if (m_clients.count(id))
        finish(id, false);
}

void MetricsHttpServer::finish(uint64_t id, bool polite)
{
    auto it = m_clients.find(id);
    if (it == m_clients.end())
        return;
    std::unique_ptr<Client> client = std::move(it->second);
    m_clients.erase(it);
    m_loop.cancelTimer(client->deadline);
    m_loop.remove(client->fd.get());
    if (polite)
        m_closer.close(std::move(client->fd)); // FIN after the reply; unread request bytes cause no reset
}

const std::string &MetricsHttpServer::rendered(Format format)
{
    Cached &cached = m_cache[size_t(format)];
    const auto now = std::chrono::steady_clock::now();
    if (!cached.valid || now - cached.at >= RenderReuse) {
        cached.body = m_render(format);
        cached.at = now;
        cached.valid = true;
    }
    return cached.body;
}

} // namespace ferry::metrics
