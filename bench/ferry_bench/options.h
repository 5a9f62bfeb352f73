// ferry-bench's command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace ferry::bench {

struct Options {
    sockaddr_in server{};
    std::string serverText;          // as given, for the report
    std::vector<std::string> paths;  // requested round-robin
    uint32_t connections = 16;
    uint32_t threads = 1;
    double durationSeconds = 10;
    uint64_t maxRequests = 0;        // stop after this many completed requests (0 = run for the duration)
    std::chrono::milliseconds timeout{10000};
    bool newConnection = false;      // a new TCP connection (and HELLO) for every request
    bool bye = true;                 // with newConnection: BYE after the GET, so the server closes first
    bool quiet = false;              // only the JSON line
    bool tls = false;                // speak Ferry inside TLS 1.3 (a full handshake per connection)
    size_t readSize = 64 * 1024;     // bytes asked of each recv()
    bool help = false;
};

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws UsageError with a one-line reason.
Options parseOptions(int argc, char **argv);
const char *usageText();

} // namespace ferry::bench
