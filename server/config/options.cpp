#include "config/options.h"

#include "base/duration.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

namespace ferry::server {

namespace {

struct Spec {
    const char *name;
    bool takesValue;
    std::function<void(Options &, const std::string &)> apply;
};

[[noreturn]] void bad(const std::string &key, const std::string &value, const char *expected)
{
    throw ConfigError("invalid value '" + value + "' for " + key + ": expected " + expected);
}

uint32_t count(const std::string &key, const std::string &value, uint64_t min, uint64_t max)
{
    auto parsed = parseUnsigned(value);
    if (!parsed || *parsed < min || *parsed > max)
        bad(key, value, ("an integer from " + std::to_string(min) + " to " + std::to_string(max)).c_str());
    return static_cast<uint32_t>(*parsed);
}

Millis duration(const std::string &key, const std::string &value)
{
    auto parsed = parseDuration(value);
    if (!parsed)
        bad(key, value, "a duration such as 10, 2.5s, 300ms or 1m");
    return *parsed;
}

bool flag(const std::string &key, const std::string &value)
{
    if (value.empty() || value == "true" || value == "yes" || value == "on" || value == "1")
        return true;
    if (value == "false" || value == "no" || value == "off" || value == "0")
        return false;
    bad(key, value, "true or false");
}

// HOST:PORT as --listen and --metrics-listen take it. getaddrinfo() reads a port such as 70000 as 4464
// (it keeps the low 16 bits), so the server would listen where nobody asked: the port is checked here.
std::string listenAddress(const std::string &key, const std::string &value)
{
    const size_t colon = value.rfind(':');
    const auto port = colon == std::string::npos ? std::nullopt : parseUnsigned(value.substr(colon + 1));
    if (!port || *port > 65535)
        bad(key, value, "HOST:PORT with a port from 0 to 65535 (0 = any free port), e.g. 0.0.0.0:4646 or [::]:4646");
    return value;
}

std::vector<Cidr> cidrList(const std::string &key, const std::string &value)
{
    std::vector<Cidr> ranges;
    size_t begin = 0;
    for (;;) {
        size_t comma = value.find(',', begin);
        std::string item = value.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
        auto range = parseCidr(item);
        if (!range)
            bad(key, item, "an address or CIDR range such as 10.0.0.5, 10.0.0.0/8 or 2001:db8::/32, comma-separated");
        ranges.push_back(*range);
        if (comma == std::string::npos)
            return ranges;
        begin = comma + 1;
    }
}

const std::vector<Spec> &specs()
{
    static const std::vector<Spec> table = {
        {"root", true, [](Options &o, const std::string &v) { o.root = v; }},
        {"listen", true, [](Options &o, const std::string &v) { o.listen = listenAddress("listen", v); }},
        {"workers", true, [](Options &o, const std::string &v) { o.workers = count("workers", v, 1, 4096); }},
        {"max-workers", true,
         [](Options &o, const std::string &v) { o.maxWorkers = count("max-workers", v, 1, 4096); }},
        {"config", true, [](Options &o, const std::string &v) { o.configFile = v; }},
        {"admin-socket", true, [](Options &o, const std::string &v) { o.adminSocket = v; }},
        {"user", true, [](Options &o, const std::string &v) { o.user = v; }},
        {"max-pending", true,
         [](Options &o, const std::string &v) { o.maxPending = count("max-pending", v, 0, 1000000); }},
        {"max-per-ip", true,
         [](Options &o, const std::string &v) { o.maxPerIp = count("max-per-ip", v, 0, 1000000); }},
        {"request-timeout", true,
         [](Options &o, const std::string &v) { o.requestTimeout = duration("request-timeout", v); }},
        {"idle-timeout", true,
         [](Options &o, const std::string &v) { o.idleTimeout = duration("idle-timeout", v); }},
        {"send-timeout", true,
         [](Options &o, const std::string &v) { o.sendTimeout = duration("send-timeout", v); }},
        {"grace", true, [](Options &o, const std::string &v) { o.grace = duration("grace", v); }},
        {"rate-limit", true,
         [](Options &o, const std::string &v) {
             auto parsed = parseByteCount(v);
             if (!parsed)
                 bad("rate-limit", v, "bytes per second, e.g. 1048576 or 512k, 2M, 1G (0 = unlimited)");
             o.rateLimit = *parsed;
         }},
        {"rate-per-ip", true,
         [](Options &o, const std::string &v) {
             auto parsed = parseByteCount(v);
             if (!parsed)
                 bad("rate-per-ip", v, "bytes per second, e.g. 1048576 or 512k, 2M, 1G (0 = unlimited)");
             o.ratePerIp = *parsed;
         }},
        {"max-bytes-per-ip", true,
         [](Options &o, const std::string &v) {
             auto parsed = parseByteCount(v);
             if (!parsed || *parsed > MaxBytesPerIp)
                 bad("max-bytes-per-ip", v, "bytes, e.g. 1073741824 or 500M, 50G, at most 256 TiB (0 = unlimited)");
             o.maxBytesPerIp = *parsed;
         }},
        {"quota-window", true,
         [](Options &o, const std::string &v) {
             auto parsed = parseDuration(v);
             if (!parsed || *parsed < std::chrono::minutes(1))
                 bad("quota-window", v, "a duration of at least 1m, such as 1h, 24h or 7d");
             o.quotaWindow = *parsed;
         }},
        {"min-spare", true, [](Options &o, const std::string &v) { o.minSpare = count("min-spare", v, 0, 4096); }},
        {"max-spare", true, [](Options &o, const std::string &v) { o.maxSpare = count("max-spare", v, 0, 4096); }},
        {"pool-max-workers", true,
         [](Options &o, const std::string &v) { o.poolMaxWorkers = count("pool-max-workers", v, 0, 4096); }},
        {"max-requests", true,
         [](Options &o, const std::string &v) { o.maxRequests = count("max-requests", v, 0, 4000000000u); }},
        {"stall-timeout", true,
         [](Options &o, const std::string &v) { o.stallTimeout = duration("stall-timeout", v); }},
        {"admin-group", true, [](Options &o, const std::string &v) { o.adminGroup = v; }},
        {"metrics-listen", true,
         [](Options &o, const std::string &v) {
             o.metricsListen = v.empty() ? v : listenAddress("metrics-listen", v);
         }},
        {"state-dir", true, [](Options &o, const std::string &v) { o.stateDir = v; }},
        {"tls-cert", true, [](Options &o, const std::string &v) { o.tlsCert = v; }},
        {"tls-key", true, [](Options &o, const std::string &v) { o.tlsKey = v; }},
        {"manifest-cache-size", true,
         [](Options &o, const std::string &v) {
             auto parsed = parseByteCount(v);
             if (!parsed)
                 bad("manifest-cache-size", v, "bytes, e.g. 67108864 or 64M, 1G (0 = no cache)");
             o.manifestCacheSize = *parsed;
         }},
        {"streams-per-client", true,
         [](Options &o, const std::string &v) { o.streamsPerClient = count("streams-per-client", v, 1, 64); }},
        {"plaintext", true,
         [](Options &o, const std::string &v) {
             if (v == "off")
                 o.plaintext = PlaintextPolicy::Refuse;
             else if (v == "allow")
                 o.plaintext = PlaintextPolicy::Allow;
             else if (v == "only")
                 o.plaintext = PlaintextPolicy::Only;
             else
                 bad("plaintext", v, "off, allow or only");
         }},
        {"anonymous", true,
         [](Options &o, const std::string &v) {
             std::string error;
             std::optional<Grant> grant = parseAnonymous(v, error);
             if (!grant)
                 bad("anonymous", v, error.c_str());
             o.anonymous = *grant;
         }},
        {"audit-log", true,
         [](Options &o, const std::string &v) {
             if (v.empty())
                 bad("audit-log", v, "a file, or off");
             o.auditLog = v;
         }},
        {"proxy-protocol", false,
         [](Options &o, const std::string &v) { o.proxyProtocol = flag("proxy-protocol", v); }},
        {"trusted-proxies", true,
         [](Options &o, const std::string &v) { o.trustedProxies = cidrList("trusted-proxies", v); }},
        {"show-hidden", false, [](Options &o, const std::string &v) { o.showHidden = flag("show-hidden", v); }},
        {"log-level", true,
         [](Options &o, const std::string &v) {
             auto parsed = log::parseLevel(v);
             if (!parsed)
                 bad("log-level", v, "debug, info, warn or error");
             o.logLevel = *parsed;
         }},
        {"help", false, [](Options &o, const std::string &) { o.help = true; }},
        {"version", false, [](Options &o, const std::string &) { o.version = true; }},
    };
    return table;
}

const Spec *findSpec(std::string_view name)
{
    for (const Spec &spec : specs())
        if (name == spec.name)
            return &spec;
    return nullptr;
}

std::string trim(std::string_view text)
{
    const char *space = " \t\r";
    size_t begin = text.find_first_not_of(space);
    if (begin == std::string_view::npos)
        return {};
    size_t end = text.find_last_not_of(space);
    return std::string(text.substr(begin, end - begin + 1));
}

} // namespace

const char *plaintextPolicyName(PlaintextPolicy policy)
{
    switch (policy) {
    case PlaintextPolicy::Refuse: return "off";
    case PlaintextPolicy::Allow: return "allow";
    case PlaintextPolicy::Only: return "only";
    }
    return "?";
}

std::vector<Setting> parseCommandLine(int argc, const char *const *argv)
{
    std::vector<Setting> settings;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h")
            arg = "--help";
        if (!arg.starts_with("--"))
            throw ConfigError("unexpected argument '" + std::string(arg) + "' (try --help)");
        arg.remove_prefix(2);
        std::string value;
        bool inlineValue = false;
        if (size_t eq = arg.find('='); eq != std::string_view::npos) {
            value = std::string(arg.substr(eq + 1));
            arg = arg.substr(0, eq);
            inlineValue = true;
        }
        const Spec *spec = findSpec(arg);
        if (!spec)
            throw ConfigError("unknown option --" + std::string(arg) + " (try --help)");
        if (spec->takesValue && !inlineValue) {
            if (i + 1 >= argc)
                throw ConfigError("option --" + std::string(arg) + " needs a value");
            value = argv[++i];
        }
        settings.emplace_back(std::string(arg), value);
    }
    return settings;
}

std::vector<Setting> parseConfigText(std::string_view text, const std::string &origin)
{
    std::vector<Setting> settings;
    std::istringstream in{std::string(text)};
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        std::string content = trim(line);
        if (content.empty() || content.front() == '#')
            continue;
        size_t eq = content.find('=');
        std::string where = origin + ":" + std::to_string(number) + ": ";
        if (eq == std::string::npos)
            throw ConfigError(where + "expected 'key = value', got '" + content + "'");
        std::string key = trim(std::string_view(content).substr(0, eq));
        std::string value = trim(std::string_view(content).substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        const Spec *spec = findSpec(key);
        if (!spec || key == "config" || key == "help" || key == "version")
            throw ConfigError(where + "unknown setting '" + key + "'");
        try {
            Options scratch;
            applySetting(scratch, {key, value}); // validate now so the error names the line
        } catch (const ConfigError &error) {
            throw ConfigError(where + error.what());
        }
        settings.emplace_back(key, value);
    }
    return settings;
}

std::vector<Setting> readConfigFile(const std::string &path)
{
    std::ifstream file(path);
    if (!file)
        throw ConfigError("cannot read config file " + path + ": " + std::strerror(errno));
    std::stringstream buffer;
    buffer << file.rdbuf();
    return parseConfigText(buffer.str(), path);
}

void applySetting(Options &options, const Setting &setting)
{
    const Spec *spec = findSpec(setting.first);
    if (!spec)
        throw ConfigError("unknown setting '" + setting.first + "'");
    spec->apply(options, setting.second);
}

namespace {

// Pool limits that contradict each other are refused, at start-up and on reload (which keeps the running
// ones), as the admin socket's `pool` refuses them: otherwise the pool would quietly run with other
// numbers than the administrator wrote. The largest pool is computed as pool::limitsFrom() does.
void checkPoolLimits(const Options &options)
{
    if (options.maxSpare != 0 && options.minSpare > options.maxSpare)
        throw ConfigError("--min-spare " + std::to_string(options.minSpare) + " exceeds --max-spare "
                          + std::to_string(options.maxSpare) + ": lower the one or raise the other");
    const uint32_t workers = std::min(options.workers, options.maxWorkers);
    const uint32_t largest =
        std::max(std::min(options.poolMaxWorkers ? options.poolMaxWorkers : workers, options.maxWorkers), workers);
    if (options.minSpare > largest)
        throw ConfigError("--min-spare " + std::to_string(options.minSpare) + " exceeds the largest the pool may "
                          "grow, " + std::to_string(largest) + " workers (--pool-max-workers, default --workers): "
                          "it could never keep that many idle");
}

} // namespace

Options loadOptions(int argc, const char *const *argv)
{
    std::vector<Setting> commandLine = parseCommandLine(argc, argv);
    Options options;
    for (const Setting &setting : commandLine)
        if (setting.first == "config" || setting.first == "help" || setting.first == "version")
            applySetting(options, setting);
    if (options.help || options.version)
        return options;
    if (!options.configFile.empty())
        for (const Setting &setting : readConfigFile(options.configFile))
            applySetting(options, setting);
    for (const Setting &setting : commandLine)
        applySetting(options, setting);
    if (options.root.empty())
        throw ConfigError("no root directory: give --root DIR (or 'root = DIR' in the config file)");
    if (options.tlsCert.empty() != options.tlsKey.empty())
        throw ConfigError("--tls-cert and --tls-key go together: give both, or neither to use the server's own "
                          "identity");
    if (options.proxyProtocol && options.trustedProxies.empty())
        throw ConfigError("--proxy-protocol needs --trusted-proxies: the addresses of the balancers allowed to "
                          "name the client");
    if (!options.proxyProtocol && !options.trustedProxies.empty())
        throw ConfigError(
            "--trusted-proxies is given without --proxy-protocol: add --proxy-protocol, or drop the list");
    if (options.workers > options.maxWorkers)
        options.maxWorkers = options.workers; // the scoreboard must hold the pool
    checkPoolLimits(options);
    return options;
}

std::string usageText()
{
    return R"(Usage: ferry-server --root DIR [options]
Serves the files under DIR (read-only) over the Ferry protocol.

  --root DIR                 directory to serve (required)
  --listen HOST:PORT         address to listen on (default 0.0.0.0:4646; port 0 = any free port)
  --workers N                worker processes (default 4)
  --max-workers N            scoreboard slots, upper bound of the pool (default 64)
  --config FILE              read 'key = value' settings; the command line overrides them
  --admin-socket PATH        admin socket path, "none" to disable (default $XDG_RUNTIME_DIR/ferry/admin.sock,
                             /run/ferry/admin.sock for root; see docs/ADMIN.md)
  --admin-group GROUP        members of GROUP may use the admin socket (besides this user and root)
  --metrics-listen HOST:PORT serve GET /metrics over HTTP there, e.g. 127.0.0.1:9464 (default: off)
  --min-spare N              keep at least N idle workers, forking more while short (default 0)
  --max-spare N              retire idle workers beyond N, one a second (default: --workers)
  --pool-max-workers N       the pool never grows beyond N workers (default: --workers)
  --max-requests N           recycle a worker after N requests, 0 = never (default 0)
  --stall-timeout DUR        abort a transfer that moved no byte for DUR, 0 = off (default 120s)
  --state-dir DIR            the server's identity (key, certificate) and manifest cache live here (default
                             /var/lib/ferry for root, $STATE_DIRECTORY under systemd, else
                             $XDG_STATE_HOME/ferry or ~/.local/state/ferry); never inside the served root
  --manifest-cache-size SIZE chunk manifests kept in the state directory's manifests/, at most SIZE bytes
                             in all (64M, 1G), least recently used evicted first, 0 = no cache (default 64M)
  --streams-per-client N     parallel connections one client may use for one download, announced in
                             WELCOME (default 4, at most 64)
  --tls-cert FILE            serve this certificate chain (PEM) instead of the generated one; needs --tls-key
  --tls-key FILE             the private key (PEM) of --tls-cert
  --plaintext off|allow|only Ferry without TLS: off = TLS required (default), allow = both on the one port,
                             only = no TLS (loopback tests, benchmarks)
  --audit-log FILE|off       one JSON line per finished request or refusal (default audit.log in the state
                             directory); reopened on SIGUSR1 and reload, for logrotate (docs/OPERATIONS.md)
  --proxy-protocol           behind a load balancer: connections from --trusted-proxies must open with a
                             PROXY protocol header (v1 or v2) naming the client; others may not send one
  --trusted-proxies LIST     the balancers' addresses, comma-separated: 10.0.0.5,10.1.0.0/16,2001:db8::/32
  --user NAME                when started as root, switch to this user after binding
  --max-pending N            requests waiting for a free worker before BUSY (default 64)
  --max-per-ip N             connections per client address, 0 = unlimited (default 64)
  --request-timeout DUR      accept to first complete request (default 10s)
  --idle-timeout DUR         idle kept-alive connection (default 60s)
  --send-timeout DUR         client accepting no data (default 60s)
  --grace DUR                on SIGTERM, time for running transfers to finish (default 30s)
  --rate-limit BYTES_PER_SEC per-connection body throughput (512k, 2M, 1G), 0 = unlimited (default 0)
  --rate-per-ip BYTES_PER_SEC
                             body throughput per client address, over all its connections and workers
                             (the real client's address behind --proxy-protocol), 0 = unlimited (default 0)
  --max-bytes-per-ip SIZE    bytes one client address may download per --quota-window (500M, 50G); a GET
                             that would go past it is refused before its first byte, 0 = unlimited (default 0)
  --quota-window DUR         the window of --max-bytes-per-ip, fixed, from the address's first byte in it;
                             a restart starts every window afresh (default 24h)
  --anonymous all|none|PATH,...
                             what clients without a token may read: the whole tree (default), nothing, or
                             only these subtrees of the root, e.g. releases,docs/public (docs/SECURITY.md)
  --show-hidden              serve and list dot-files (hidden by default)
  --log-level LEVEL          debug, info, warn or error (default info)
  --help, --version

DUR is a number with an optional unit: ms, s (default), m, h or d, e.g. 0.5, 300ms, 2m, 24h.
On start the server prints one line to stdout: "ferry-server: listening on HOST:PORT".
Exit codes: 0 clean stop, 2 cannot start (bad option/config, root, address), 1 internal failure.
)";
}

} // namespace ferry::server
