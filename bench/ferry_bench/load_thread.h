// One epoll loop driving a share of the connections. Everything a request needs is
// allocated before the clock starts: connection slots, the receive buffer, the encoded
// requests and the histogram. The per-request path makes syscalls and nothing else.
#pragma once

#include "histogram.h"
#include "response_parser.h"
#include "tls_client.h"
#include "base/unique_fd.h" // the server's one owner type for fds

#include <chrono>
#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <vector>

namespace ferry::bench {

using server::UniqueFd;

// The requests, encoded once: for each path, HELLO+GET (a fresh connection pipelines
// both, as PROTOCOL.md §3.1 allows) and GET alone (a kept-alive connection).
struct EncodedRequests {
    std::vector<std::vector<uint8_t>> helloAndGet;
    std::vector<std::vector<uint8_t>> getOnly;
};

struct Stats {
    uint64_t requests = 0;
    uint64_t bytes = 0; // everything received, frames included
    uint64_t bodyBytes = 0;
    uint64_t connectErrors = 0;
    uint64_t readErrors = 0; // reset, early close, or a failed write
    uint64_t protocolErrors = 0;
    uint64_t busy = 0;
    uint64_t serverErrors = 0;
    uint64_t timeouts = 0;
    uint64_t tlsResumed = 0; // --tls: handshakes that resumed a session (a fair run has none)
    std::string tls;         // --tls: what the first handshake agreed on (tls_client.h, negotiated())
    Histogram latencyUs;

    uint64_t errors() const { return connectErrors + readErrors + protocolErrors + busy + serverErrors + timeouts; }
    void merge(const Stats &other);
};

struct LoadPlan {
    sockaddr_in server{};
    const EncodedRequests *requests = nullptr;
    bool newConnection = false;
    std::chrono::milliseconds timeout{10000};
    std::chrono::steady_clock::time_point deadline;
    uint64_t maxRequests = 0; // this thread's share; 0 = no limit
    const TlsClient *tls = nullptr; // --tls: every connection handshakes first
};

class LoadThread {
public:
    // `firstPath` staggers threads so that together they walk all paths.
    LoadThread(const LoadPlan &plan, uint32_t connections, uint32_t firstPath, size_t readSize);
    LoadThread(const LoadThread &) = delete;
    LoadThread &operator=(const LoadThread &) = delete;

    // Runs until the deadline (or maxRequests). Throws std::system_error if epoll fails.
    void run();
    const Stats &stats() const { return m_stats; }

private:
    struct Connection {
        UniqueFd fd;
        SslPtr ssl;           // --tls only; reset before fd
        bool handshaken = false;
        ResponseParser parser;
        uint64_t startNs = 0; // request written (or connect started, until then)
        uint32_t generation = 0; // tells a stale epoll event from one for the current fd
        bool requestSent = false;
        bool fresh = true;    // no answer received yet on this TCP connection
    };

    void open(uint32_t index);
    void sendRequest(uint32_t index, uint64_t nowNs);
    ssize_t receive(Connection &c);
    void closeConnection(Connection &c);
    void noteHandshake(SSL *ssl);
    void onEvent(uint32_t index, uint32_t events);
    void onReadable(uint32_t index);
    bool onOutcome(uint32_t index, Outcome outcome);
    void complete(uint32_t index);
    void fail(uint32_t index, uint64_t &counter);
    void expireTimeouts(uint64_t nowNs);
    uint32_t nextPath();
    bool finished() const;

    LoadPlan m_plan;
    UniqueFd m_epoll;
    std::vector<Connection> m_connections;
    std::vector<uint8_t> m_buffer;
    uint32_t m_nextPath;
    Stats m_stats;
};

uint64_t monotonicNs();

} // namespace ferry::bench
