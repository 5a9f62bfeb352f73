// What the request handler knows of the connection a request came on, besides its socket.
#pragma once

#include "ipc/handoff.h"

#include <string>

namespace ferry::server {

struct Session {
    SessionState negotiated; // travels with the connection when it is parked (ipc/handoff.h)
    std::string peer;        // "host:port" of the client
    bool tls = false;        // inside TLS: such a connection never leaves its worker
};

} // namespace ferry::server
