// The --metrics-listen endpoint: `GET /metrics` over HTTP/1.1 for Prometheus and other scrapers, served on
// the parent's EventLoop. It must never hold the parent up, so everything about a scrape is bounded: the
// request's size (MaxRequestBytes), a client's whole life (HttpDeadline), the number of clients at once
// (MaxHttpClients), and how often the metrics are rendered (RenderReuse). Every socket is non-blocking; one
// request per connection, and the reply says "Connection: close".
#pragma once

#include "net/event_loop.h"
#include "net/lingering_closer.h"
#include "metrics/exposition.h"
#include "metrics/http_request.h"
#include "base/unique_fd.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace ferry::metrics {

// Connections being served or lingering; more are closed at once. Scrapers come one at a time.
constexpr size_t MaxHttpClients = 16;
// From accept to the last byte of the reply: a client still sending its request then gets a 408, and one
// that does not read its reply is cut.
constexpr std::chrono::milliseconds HttpDeadline{5000};
// A render reads /proc for every worker; scrapes that come closer together than this share one.
constexpr std::chrono::milliseconds RenderReuse{250};

class MetricsHttpServer {
public:
    using Render = std::function<std::string(Format)>;

    // `listener` is a bound, listening, non-blocking socket (server::openListener). `render` produces the
    // body of a 200 in the format asked for; it runs on the loop, at most once per format per RenderReuse.
    MetricsHttpServer(server::EventLoop &loop, server::UniqueFd listener, Render render);
    ~MetricsHttpServer();
    MetricsHttpServer(const MetricsHttpServer &) = delete;
    MetricsHttpServer &operator=(const MetricsHttpServer &) = delete;

private:
    struct Client {
        server::UniqueFd fd;
        std::string input;
        std::string output; // the whole reply once known; `written` bytes of it are sent
        size_t written = 0;
        server::EventLoop::TimerId deadline = 0;
    };

    void onAcceptable();
    void admit(server::UniqueFd fd);
    void onClientEvent(uint64_t id);
    // Reads what is there; replies once the request is complete or refused. False if the client is gone.
    bool readFrom(uint64_t id, Client &client);
    void reply(uint64_t id, Client &client, const std::string &status, std::string_view type, const std::string &body);
    void flush(uint64_t id, Client &client);
    void onDeadline(uint64_t id);
    // Closes a client whose reply is out (politely, through the lingering closer) or that failed (at once).
    void finish(uint64_t id, bool polite);
    const std::string &rendered(Format format);

    server::EventLoop &m_loop;
    server::UniqueFd m_listener;
    Render m_render;
    server::LingeringCloser m_closer;
    std::unordered_map<uint64_t, std::unique_ptr<Client>> m_clients;
    uint64_t m_nextId = 1;
    struct Cached {
        std::string body;
        std::chrono::steady_clock::time_point at;
        bool valid = false;
    };
    std::array<Cached, 2> m_cache; // by Format
};

} // namespace ferry::metrics
