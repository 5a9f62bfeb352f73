#include "parent/parent.h"

#include "parent/audit_setup.h"
#include "base/log.h"
#include "parent/manifest_setup.h"
#include "parent/privileges.h"
#include "base/syscall.h"
#include "worker/pacing.h"
#include "systemd/sd_notify.h"
#include "parent/tls_setup.h"
#include "tls/state_dir.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <system_error>

namespace ferry::server {

namespace {

// Every input that can refuse the start was checked before anything was made or bound (main() calls
// checkBeforeBinding()): a failed start used to leave the state directory made, with manifests/ and the
// identity in it, and hold the ports. The root and the TLS files are opened again for real after the
// privilege drop.
Listener bindFirst(Options &options, WorkerManifests &manifests)
{
    if (options.stateDir.empty())
        options.stateDir = tls::defaultStateDir();
    Listener listener = openListener(options.listen);
    prepareTlsState(options); // as root, if started so: the state directory is made for --user
    manifests = prepareManifestCache(options);
    if (!options.user.empty())
        dropPrivileges(options.user); // right after bind: nothing else needs root
    return listener;
}

// What systemd is told (Type=notify); without $NOTIFY_SOCKET nothing is sent and nothing can fail.
void tellSystemd(int error, const char *what)
{
    if (error != 0)
        LOG_WARN("sendto() $NOTIFY_SOCKET telling systemd %s: %s", what, std::strerror(error));
}

sigset_t handledSignals()
{
    sigset_t set;
    sigemptyset(&set);
    for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1})
        sigaddset(&set, signal);
    return set;
}

} // namespace

Parent::Parent(Options options, std::vector<std::string> arguments)
    : m_options(std::move(options)), m_arguments(std::move(arguments)), m_listener(bindFirst(m_options, m_manifests)),
      m_jail(std::make_unique<Jail>(Jail::open(m_options.root, m_options.showHidden))),
      m_tls(loadTls(m_options)),
      m_scoreboard(m_options.maxWorkers), m_tokens(m_options.stateDir), m_addresses(AddressTableSlots),
      m_audit(openAuditLog(m_options, &m_scoreboard.control().auditReopen))
{
    raiseFdLimit();
    m_scoreboard.control().perConnectionRate.store(m_options.rateLimit);
    publishAddressLimits();
    setUpSignals();
    Supervisor::Hooks hooks;
    hooks.connectionReturned = [this](HandoffMessage &&message) { m_dispatcher->onReturned(std::move(message)); };
    hooks.connectionLost = [this](uint64_t id) { m_dispatcher->onLost(id); };
    hooks.dispatchUndelivered = [this](HandoffMessage &&message) { m_dispatcher->onUndelivered(std::move(message)); };
    hooks.workerAvailable = [this] { m_dispatcher->onWorkerAvailable(); };
    hooks.allStopped = [this] { m_loop.stop(); };
    m_supervisor = std::make_unique<Supervisor>(m_loop, m_scoreboard, *m_jail, m_options.sendTimeout, hooks);
    m_supervisor->setWorkerTls(workerTls());
    m_supervisor->setWorkerManifests(m_manifests);
    offerManifestCapabilities(m_manifests);
    m_supervisor->setWorkerAccess(workerAccess());
    m_supervisor->setAuditLog(&m_audit);
    m_dispatcher = std::make_unique<Dispatcher>(m_loop, *m_supervisor, limitsFrom(m_options));
    m_dispatcher->setAuditLog(&m_audit);
    m_dispatcher->setTokenTable(&m_tokens.table());
}

WorkerAccess Parent::workerAccess() { return {m_options.anonymous, &m_tokens.table(), &m_addresses}; }

void Parent::publishAddressLimits()
{
    static_assert(MaxBytesPerIp == MaxQuotaBytes, "--max-bytes-per-ip must fit a quota window's count");
    ControlBlock &control = m_scoreboard.control();
    control.perAddressRate.store(m_options.ratePerIp);
    control.perAddressMaxBytes.store(m_options.maxBytesPerIp);
    control.quotaWindowMs.store(m_options.quotaWindow.count());
}

void Parent::scheduleUsageSave()
{
    // Workers count usage in shared memory; the file catches up every few seconds (token list reads the
    // live counts), so a busy server does not write and fsync its store on every request.
    constexpr std::chrono::milliseconds UsageSaveInterval{5000};
    m_loop.addTimer(UsageSaveInterval, [this] {
        m_tokens.saveUsage();
        scheduleUsageSave();
    });
}

WorkerTls Parent::workerTls() const { return {m_tls, m_options.requestTimeout, m_options.idleTimeout}; }

void Parent::logIdentity() const
{
    if (!m_tls) {
        LOG_WARN("--plaintext only: no TLS; everything is sent in clear");
        return;
    }
    const tls::Identity &identity = m_tls->identity();
    LOG_INFO("identity %s (%s%s)", identity.fingerprint.c_str(), identity.certFile.c_str(),
             identity.created ? ", made now" : identity.renewed ? ", certificate renewed" : "");
    // Which body path TLS takes: kernel TLS (SSL_sendfile) is not built (no CONFIG_TLS where this was
    // written; docs/SECURITY.md), so every TLS body is encrypted in userspace.
    LOG_INFO("TLS 1.3 bodies: pread + SSL_write in userspace (kernel TLS not used)");
    if (m_options.plaintext == PlaintextPolicy::Allow)
        LOG_WARN("--plaintext allow: clients may also connect without TLS");
}

Parent::~Parent()
{
    m_dispatcher.reset(); // before the supervisor: it calls into it
    m_supervisor.reset();
    if (m_signalFd)
        m_loop.remove(m_signalFd.get());
}

void Parent::setUpSignals()
{
    signal(SIGPIPE, SIG_IGN); // a client that vanishes is an error value, not a signal
    sigset_t set = handledSignals();
    if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
        throw std::system_error(errno, std::generic_category(), "sigprocmask()");
    m_signalFd.reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!m_signalFd)
        throw std::system_error(errno, std::generic_category(), "signalfd()");
    if (int error = m_loop.add(m_signalFd.get(), EPOLLIN, [this](uint32_t) { onSignal(); }); error != 0)
        throw std::system_error(error, std::generic_category(), "epoll_ctl() adding the signalfd");
}

void Parent::onSignal()
{
    signalfd_siginfo info{};
    while (retryOnEintr([&] { return read(m_signalFd.get(), &info, sizeof info); }) == ssize_t(sizeof info)) {
        switch (info.ssi_signo) {
        case SIGCHLD: m_supervisor->reap(); break;
        case SIGHUP: reload(); break;
        case SIGUSR1: reopenAuditLog(); break;
        case SIGTERM:
        case SIGINT:
            if (m_shuttingDown) {
                LOG_WARN("second %s: stopping workers now", strsignal(int(info.ssi_signo)));
                m_supervisor->killAll();
            } else {
                LOG_INFO("%s: shutting down (grace %.1f s)", strsignal(int(info.ssi_signo)),
                         double(m_options.grace.count()) / 1000.0);
                beginShutdown();
            }
            break;
        default: break;
        }
    }
}

int Parent::run()
{
    m_startedNs = monotonicNs(); // the pool manager (server/pool) has forked the first workers already
    m_dispatcher->startAccepting(m_listener.fd.get());
    std::printf("ferry-server: listening on %s\n", m_listener.address.c_str());
    if (m_tls) // the second line: what clients pin (scripts/run shows it)
        std::printf("ferry-server: identity %s\n", m_tls->identity().fingerprint.c_str());
    std::fflush(stdout);
    logIdentity();
    LOG_INFO("serving %s on %s with %u workers (pid %d)", m_options.root.c_str(), m_listener.address.c_str(),
             m_options.workers, int(getpid()));
    tellSystemd(systemd::notifyReady("serving " + m_options.root + " on " + m_listener.address), "READY=1");
    scheduleUsageSave();
    const int error = m_loop.run();
    m_tokens.saveUsage(); // what the last transfers counted
    if (error != 0) {
        LOG_ERROR("epoll_wait(): %s", std::strerror(error));
        m_supervisor->killAll();
        return 1;
    }
    LOG_INFO("stopped");
    return 0;
}

void Parent::beginShutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    tellSystemd(systemd::notifyStopping(), "STOPPING=1");
    m_dispatcher->shutdown();
    m_listener.fd.reset(); // refuse new connections at the TCP level from now on
    m_scoreboard.control().draining.store(1);
    m_graceTimer = m_loop.addTimer(m_options.grace, [this] {
        m_graceTimer = 0;
        LOG_WARN("grace period over: stopping the remaining workers");
        m_supervisor->killAll();
    });
    m_supervisor->stopAll(); // may stop the loop at once if no worker is left
}

bool Parent::reload(std::string *error)
{
    if (m_shuttingDown) {
        if (error)
            *error = "the server is shutting down";
        return false;
    }
    // systemd waits for READY=1 after RELOADING=1 whatever the outcome: a refused reload keeps serving.
    tellSystemd(systemd::notifyReloading(), "RELOADING=1");
    auto readyAgain = [this] {
        tellSystemd(systemd::notifyReady("serving " + m_options.root + " on " + m_listener.address), "READY=1");
    };
    std::vector<const char *> argv;
    for (const std::string &argument : m_arguments)
        argv.push_back(argument.c_str());
    Options fresh;
    std::shared_ptr<const tls::TlsContext> freshTls;
    try {
        fresh = loadOptions(int(argv.size()), argv.data());
        fresh.stateDir = fresh.stateDir.empty() ? m_options.stateDir : fresh.stateDir;
        fresh.plaintext = m_options.plaintext; // the listener's contract: changes on restart only
        freshTls = loadTls(fresh); // re-reads the certificate: a renewed one is served by the new generation
    } catch (const ConfigError &problem) {
        LOG_ERROR("reload refused, keeping the running configuration: %s", problem.what());
        if (error)
            *error = problem.what();
        readyAgain();
        return false;
    }
    if (fresh.root != m_options.root || fresh.listen != m_options.listen || fresh.user != m_options.user
        || fresh.showHidden != m_options.showHidden || fresh.maxWorkers != m_options.maxWorkers
        || fresh.metricsListen != m_options.metricsListen || fresh.auditLog != m_options.auditLog)
        LOG_WARN("reload: root, listen, user, show-hidden, max-workers, metrics-listen and audit-log only change on "
                 "restart");
    m_options.workers = std::min(fresh.workers, m_options.maxWorkers);
    m_options.maxPending = fresh.maxPending;
    m_options.maxPerIp = fresh.maxPerIp;
    m_options.requestTimeout = fresh.requestTimeout;
    m_options.idleTimeout = fresh.idleTimeout;
    m_options.sendTimeout = fresh.sendTimeout;
    m_options.grace = fresh.grace;
    m_options.rateLimit = fresh.rateLimit;
    m_options.ratePerIp = fresh.ratePerIp; // from each body started from now on
    m_options.maxBytesPerIp = fresh.maxBytesPerIp;
    m_options.quotaWindow = fresh.quotaWindow;
    m_options.proxyProtocol = fresh.proxyProtocol; // for connections accepted from now on
    m_options.trustedProxies = fresh.trustedProxies;
    // Pool policy settings (server/pool): the pool manager picks them up when it sees the new generation.
    m_options.minSpare = fresh.minSpare;
    m_options.maxSpare = fresh.maxSpare;
    m_options.poolMaxWorkers = fresh.poolMaxWorkers;
    m_options.maxRequests = fresh.maxRequests;
    m_options.stallTimeout = fresh.stallTimeout;
    m_options.logLevel = fresh.logLevel;
    m_options.manifestCacheSize = fresh.manifestCacheSize;
    m_options.streamsPerClient = fresh.streamsPerClient;
    m_manifests = reloadedManifests(m_manifests, fresh);
    log::setLevel(fresh.logLevel);
    m_scoreboard.control().perConnectionRate.store(fresh.rateLimit);
    publishAddressLimits();
    if (freshTls && m_tls && freshTls->identity().fingerprint != m_tls->identity().fingerprint)
        LOG_WARN("reload: the identity changed to %s; clients that pinned the old one will refuse this server",
                 freshTls->identity().fingerprint.c_str());
    m_tls = freshTls;
    m_options.tlsCert = fresh.tlsCert;
    m_options.tlsKey = fresh.tlsKey;
    if (fresh.anonymous != m_options.anonymous)
        LOG_INFO("reload: anonymous access is now %s", describeGrant(fresh.anonymous).c_str());
    m_options.anonymous = fresh.anonymous;
    m_dispatcher->setLimits(limitsFrom(m_options)); // the auth capability follows the anonymous grant
    m_supervisor->setWorkerTls(workerTls());
    m_supervisor->setWorkerManifests(m_manifests);
    offerManifestCapabilities(m_manifests);
    m_supervisor->setWorkerAccess(workerAccess());
    reopenAuditLog(); // before the new generation forks: it inherits the fresh file
    m_supervisor->startGeneration(m_options.sendTimeout); // the pool manager forks it, then retires the old one
    readyAgain();
    return true;
}

void Parent::drain()
{
    LOG_INFO("draining: new connections are answered BUSY until resumed");
    m_dispatcher->pause(true);
}

void Parent::resume()
{
    LOG_INFO("resuming: accepting connections");
    m_dispatcher->pause(false);
}

void Parent::reopenAuditLog()
{
    if (!m_audit.isEnabled())
        return;
    // Workers compare the counter before each line they write: one that is busy with a long body reopens
    // when it finishes; until then its last line goes to the renamed file (logrotate's delaycompress).
    m_scoreboard.control().auditReopen.fetch_add(1, std::memory_order_relaxed);
    m_audit.reopen();
    LOG_INFO("audit log %s reopened", m_audit.path().c_str());
}

void Parent::setRateLimit(uint64_t perConnection, uint64_t global, uint64_t perAddress)
{
    ControlBlock &control = m_scoreboard.control();
    control.perConnectionRate.store(perConnection);
    control.perAddressRate.store(perAddress); // until the next reload, as the per-connection rate
    // Reservations already made were billed at the old global rate: the new one applies from now on.
    const uint64_t previous = control.globalRate.exchange(global);
    rescheduleShared(control.globalPaidUntilNs, monotonicNs(), previous, global);
}

} // namespace ferry::server
