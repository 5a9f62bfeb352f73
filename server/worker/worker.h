// A worker process's life: serve the connections the parent hands over, from one event loop (see
// worker_loop.h), and hand each back ("park") once it goes quiet. Returns a WorkerExit code.
#pragma once

#include "worker/connection_access.h"
#include "audit/audit_log.h"
#include "worker/jail.h"
#include "base/duration.h"
#include "ipc/scoreboard.h"
#include "base/unique_fd.h"
#include "tls/tls_context.h"

#include <memory>
#include <string>

namespace ferry::server {

// What a worker needs for the TLS connections it holds for their whole life (docs/SECURITY.md).
struct WorkerTls {
    std::shared_ptr<const tls::TlsContext> context; // null: --plaintext only, no TLS
    Millis handshakeTimeout{10000}; // accept to a finished handshake: --request-timeout
    Millis idleTimeout{60000};      // a TLS connection with no request for this long is closed: --idle-timeout
};

// Where a worker keeps and finds chunk manifests (server/manifest; docs/PROTOCOL.md §10).
struct WorkerManifests {
    std::string cacheDir;    // made by the parent at start-up; "" = no cache (--manifest-cache-size 0)
    uint64_t cacheBytes = 0; // the cache's bound
    uint32_t streams = 4;    // WELCOME's `streams` (--streams-per-client)
};

struct WorkerContext {
    uint32_t slotIndex = 0;
    uint32_t generation = 0;
    UniqueFd channel; // the worker's end of the socketpair; blocking
    const Jail *jail = nullptr;
    Scoreboard *scoreboard = nullptr;
    Millis sendTimeout{60000};
    WorkerTls tls;
    WorkerManifests manifests;
    WorkerAccess access;
    audit::AuditLog *audit = nullptr; // the parent's writer, inherited across fork (its fd kept open)
};

// Runs until the parent closes (or shuts down) the channel (exit Normal), asks this slot to stop, or the
// channel fails.
int runWorker(WorkerContext &context);

// Closes a connection without losing what was just sent: FIN first, then discard unread input so the
// kernel does not answer it with a reset.
void closeGently(UniqueFd &fd);

} // namespace ferry::server
