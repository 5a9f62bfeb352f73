// ferry-server's settings: defaults, the command line, and the config file (which the command line overrides).
// One table of settings serves both: a config key is the long option without its dashes
// ("request-timeout = 5s" in the file is "--request-timeout 5s" on the command line).
#pragma once

#include "access/grant.h"
#include "base/cidr.h"
#include "base/config_error.h"
#include "base/duration.h"
#include "base/log.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::server {

// Whether clients may speak Ferry without TLS on the listening port (docs/SECURITY.md).
enum class PlaintextPolicy {
    Refuse, // the default: TLS only; a plaintext client gets ERROR "TLS required"
    Allow,  // both, told apart by the first byte (loopback tests, benchmarks next to TLS)
    Only,   // no TLS at all (benchmarks, a TLS-terminating balancer in front)
};
const char *plaintextPolicyName(PlaintextPolicy policy);

// The largest --max-bytes-per-ip: what a quota window's 48-bit count holds (ipc/address_table.h), 256 TiB.
constexpr uint64_t MaxBytesPerIp = (uint64_t(1) << 48) - 1;

struct Options {
    std::string root;
    std::string listen = "0.0.0.0:4646";
    uint32_t workers = 4;
    uint32_t maxWorkers = 64;   // scoreboard slots; the pool may grow up to this later
    std::string configFile;
    std::string adminSocket;    // used by the admin plane
    std::string user;           // drop privileges to this user after binding (when started as root)
    uint32_t maxPending = 64;   // connections with a request waiting for a worker
    uint32_t maxPerIp = 64;     // simultaneous connections per client address, 0 = unlimited
    Millis requestTimeout{10000}; // from accept to the first complete request
    Millis idleTimeout{60000};    // a parked connection with no new request
    Millis sendTimeout{60000};    // a client that accepts no byte for this long is cut
    Millis grace{30000};          // SIGTERM: how long running transfers may take to finish
    uint64_t rateLimit = 0;       // bytes/s per connection, 0 = unlimited
    // Per client address, over all of its connections (ipc/address_table.h; docs/SECURITY.md "Limits").
    uint64_t ratePerIp = 0;       // bytes/s, 0 = unlimited
    uint64_t maxBytesPerIp = 0;   // bytes per quota window, 0 = unlimited; at most MaxBytesPerIp
    Millis quotaWindow{24 * 3600 * 1000}; // the window, fixed, from the address's first byte in it
    // Pool policy and admin plane (server/pool, server/admin; docs/ADMIN.md). The defaults keep the pool
    // at --workers: it grows only up to pool-max-workers, which defaults to --workers.
    uint32_t minSpare = 0;        // idle workers to keep at least (more are forked, doubling, while short)
    uint32_t maxSpare = 0;        // idle workers to keep at most (surplus retired one a second); 0 = --workers
    uint32_t poolMaxWorkers = 0;  // the pool's size limit (<= max-workers); 0 = --workers
    uint64_t maxRequests = 0;     // recycle a worker after this many requests, 0 = never
    Millis stallTimeout{120000};  // abort a transfer that moved no byte for this long, 0 = off
    std::string adminGroup;       // members of this group may use the admin socket too
    std::string metricsListen;    // HOST:PORT of the HTTP metrics endpoint (server/metrics), "" = off
    // The server's identity and TLS (server/tls; docs/SECURITY.md).
    std::string stateDir;         // "" = the default (see tls/state_dir.h)
    std::string tlsCert;          // the administrator's own certificate chain (PEM); "" = the generated one
    std::string tlsKey;           // its private key (PEM); given together with tlsCert
    PlaintextPolicy plaintext = PlaintextPolicy::Refuse;
    // Chunk manifests (server/manifest; docs/PROTOCOL.md §10). 64 MiB holds the manifests of about 8 TiB
    // of files at 8 KiB per GiB; 0 = no cache, every MANIFEST is computed.
    uint64_t manifestCacheSize = 64ull << 20;
    uint32_t streamsPerClient = 4; // WELCOME's `streams`: parallel connections one client may use for one file
    // What a connection may read without a token (access/grant.h; docs/SECURITY.md): --anonymous.
    Grant anonymous = Grant::all();
    std::string auditLog;         // the audit log (server/audit): "" = audit.log in the state directory, "off"
    // Behind a load balancer (docs/SCALING.md): connections from trustedProxies must open with a PROXY
    // protocol header naming the client; any other connection is served as itself and may not send one.
    bool proxyProtocol = false;
    std::vector<Cidr> trustedProxies;
    bool showHidden = false;
    log::Level logLevel = log::Level::Info;
    bool help = false;
    bool version = false;
};

using Setting = std::pair<std::string, std::string>; // key (long option name), value ("" for flags)

// Splits argv into settings without applying them. Throws ConfigError on unknown options / missing values.
std::vector<Setting> parseCommandLine(int argc, const char *const *argv);
// Reads "key = value" lines ('#' comments, blank lines ignored). Throws ConfigError naming file and line.
std::vector<Setting> parseConfigText(std::string_view text, const std::string &origin);
std::vector<Setting> readConfigFile(const std::string &path);
// Applies one setting; throws ConfigError naming the key on an unknown key or a bad value.
void applySetting(Options &options, const Setting &setting);

// Defaults, then the config file named by --config (if any), then the command line.
// Throws ConfigError. Does not check the filesystem beyond reading the config file.
Options loadOptions(int argc, const char *const *argv);

std::string usageText();

} // namespace ferry::server
