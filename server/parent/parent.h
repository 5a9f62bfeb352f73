// The parent process: owns the listening socket, the scoreboard, the event loop, the pool's mechanism
// (Supervisor) and the client connections it holds (Dispatcher); turns signals into actions.
// The pool manager and the admin plane plug in through loop() (register their sockets and timers) and the
// operations below.
#pragma once

#include "parent/dispatcher.h"
#include "net/event_loop.h"
#include "worker/jail.h"
#include "net/net.h"
#include "config/options.h"
#include "ipc/address_table.h"
#include "ipc/scoreboard.h"
#include "parent/supervisor.h"
#include "parent/token_keeper.h"
#include "tls/tls_context.h"

#include <memory>
#include <string>
#include <vector>

namespace ferry::server {

class Parent {
public:
    // `options` must have passed checkBeforeBinding() (startup_checks.h), before anything was bound.
    // Start-up, in this order: bind the listener, drop privileges (--user), open the root, map the
    // scoreboard, route signals to a signalfd. Throws ConfigError (exit 2) with a one-line reason.
    // `arguments` (argv) are kept so that a reload can read the command line and config file again.
    Parent(Options options, std::vector<std::string> arguments);
    ~Parent();

    // Prints the listening line on stdout, runs the loop until the last worker is gone after a shutdown.
    // The workers are the pool manager's (server/pool) to fork: create it before run(). Returns the
    // process exit code (0 after SIGTERM/SIGINT).
    int run();

    // ---- seams for the admin plane ----
    EventLoop &loop() { return m_loop; }
    Supervisor &supervisor() { return *m_supervisor; }
    Dispatcher &dispatcher() { return *m_dispatcher; }
    Scoreboard &scoreboard() { return m_scoreboard; }
    TokenKeeper &tokens() { return m_tokens; }
    const Options &options() const { return m_options; }
    const Jail &jail() const { return *m_jail; } // the served root
    const std::string &listenAddress() const { return m_listener.address; }
    // The identity clients pin ("" with --plaintext only).
    std::string fingerprint() const { return m_tls ? m_tls->identity().fingerprint : std::string(); }
    int64_t startedNs() const { return m_startedNs; }
    bool isShuttingDown() const { return m_shuttingDown; }
    bool isDraining() const { return m_dispatcher->isPaused(); }

    // SIGTERM/SIGINT: stop accepting, let running transfers finish within --grace, then exit 0.
    void beginShutdown();
    // SIGHUP: re-read command line + config; new worker generation; old workers finish, then exit.
    // Returns false (and changes nothing) if the new configuration is invalid; `error` says why.
    bool reload(std::string *error = nullptr);
    // Admin drain: take no new connections (each is answered BUSY at once); resume() undoes it.
    void drain();
    void resume();
    // Bytes per second, 0 = unlimited. Workers pick the new values up at their next chunk (the per-address
    // rate at each body's start).
    void setRateLimit(uint64_t perConnection, uint64_t global, uint64_t perAddress);
    // SIGUSR1 (and every reload): the parent reopens the audit log now, every worker before its next line.
    void reopenAuditLog();
    const audit::AuditLog &auditLog() const { return m_audit; }
    bool disconnect(uint64_t connectionId) { return m_dispatcher->disconnect(connectionId); }

private:
    void setUpSignals();
    void onSignal();
    void logIdentity() const;
    WorkerTls workerTls() const;
    WorkerAccess workerAccess();
    void scheduleUsageSave();
    // The per-address limits of m_options, into the control block the workers read.
    void publishAddressLimits();

    Options m_options;
    std::vector<std::string> m_arguments;
    WorkerManifests m_manifests; // before m_listener: made by bindFirst(), before the privilege drop
    Listener m_listener;
    std::unique_ptr<Jail> m_jail;                 // before m_tls: a bad root is refused before a key is made
    std::shared_ptr<const tls::TlsContext> m_tls; // what workers forked from now on serve
    Scoreboard m_scoreboard;
    TokenKeeper m_tokens; // mapped before any fork, like the scoreboard
    AddressTable m_addresses; // the per-address limits' counts, mapped before any fork too
    audit::AuditLog m_audit; // the parent's writer; workers inherit it (and its fd) at fork
    EventLoop m_loop;
    UniqueFd m_signalFd;
    std::unique_ptr<Supervisor> m_supervisor;
    std::unique_ptr<Dispatcher> m_dispatcher;
    int64_t m_startedNs = 0;
    bool m_shuttingDown = false;
    EventLoop::TimerId m_graceTimer = 0;
};

} // namespace ferry::server
