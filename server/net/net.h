// Socket addresses and the listening socket.
#pragma once

#include "base/unique_fd.h"

#include <string>
#include <sys/socket.h>

namespace ferry::server {

// "1.2.3.4:80", "[::1]:80".
std::string formatAddress(const sockaddr_storage &address);
// The host part only ("1.2.3.4", "::1"): the key of the per-client connection limit.
std::string formatHost(const sockaddr_storage &address);

struct Listener {
    UniqueFd fd;
    std::string address; // the real bound address, e.g. "127.0.0.1:43817"
};

// Parses "HOST:PORT" / "[V6]:PORT", binds a non-blocking CLOEXEC listening socket (SO_REUSEADDR).
// Throws ConfigError (options.h) with a one-line reason, e.g. "cannot bind 127.0.0.1:80: Address in use".
Listener openListener(const std::string &hostPort);

// Makes the soft RLIMIT_NOFILE as large as the hard one: each connection costs the parent an fd.
void raiseFdLimit();

} // namespace ferry::server
