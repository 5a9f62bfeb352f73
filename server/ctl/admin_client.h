// ferry-ctl's side of the admin socket: connect, greet, send a request, wait for its reply or for events.
// Blocking with timeouts (a command-line tool has nothing else to do meanwhile).
#pragma once

#include "adminproto/json.h"
#include "adminproto/protocol.h"
#include "base/unique_fd.h"

#include <optional>
#include <string>

namespace ferry::ctl {

// Process exit codes, documented in docs/ADMIN.md §7.
namespace Exit {
constexpr int Ok = 0;
constexpr int Refused = 1;      // the server answered ok:false
constexpr int Usage = 2;
constexpr int NotRunning = 3;
constexpr int Denied = 4;
constexpr int Protocol = 5;
} // namespace Exit

class AdminClient {
public:
    // Connects and reads the server's greeting. On failure returns the exit code and sets `error`.
    int connect(const std::string &path, std::string &error);
    // Sends `request` (an "id" is added) and waits for the reply with that id, skipping events.
    // Returns nullopt on a protocol or I/O failure (`error` says which).
    std::optional<admin::Json> call(admin::Json request, std::string &error, int timeoutMs = 10000);
    // Waits for the next event line (e.g. a subscription push). timeoutMs < 0: wait for ever.
    std::optional<admin::Json> nextEvent(std::string &error, int timeoutMs);

private:
    std::optional<admin::Json> readMessage(std::string &error, int timeoutMs);
    bool writeAll(const std::string &data, std::string &error);

    server::UniqueFd m_fd;
    admin::LineBuffer m_input{16 * 1024 * 1024}; // replies (a big status) may be long; still bounded
    int64_t m_nextId = 1;
};

} // namespace ferry::ctl
