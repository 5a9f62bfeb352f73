#include "options.h"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <fstream>
#include <string_view>

namespace ferry::bench {

namespace {

uint64_t number(std::string_view option, std::string_view text, uint64_t min, uint64_t max)
{
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < min || value > max)
        throw UsageError(std::string(option) + " takes a number from " + std::to_string(min) + " to "
                         + std::to_string(max) + ", not '" + std::string(text) + "'");
    return value;
}

double seconds(std::string_view option, const std::string &text)
{
    char *end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !(value > 0) || value > 86400)
        throw UsageError(std::string(option) + " takes seconds (e.g. 10 or 0.5), not '" + text + "'");
    return value;
}

sockaddr_in parseAddress(const std::string &text)
{
    const auto colon = text.rfind(':');
    if (colon == std::string::npos)
        throw UsageError("the server is HOST:PORT (an IPv4 address), not '" + text + "'");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(number("the port", text.substr(colon + 1), 1, 65535)));
    const std::string host = text.substr(0, colon);
    if (::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &address.sin_addr) != 1)
        throw UsageError("'" + host + "' is not an IPv4 address");
    return address;
}

// Ferry paths are relative to the served root and the server refuses a leading '/' as an absolute
// path (FORBIDDEN). URL-style "/small.bin" is what people type, and what a path list written for
// wrk holds, so it is taken to mean "small.bin".
std::string servedPath(std::string_view path)
{
    const auto first = path.find_first_not_of('/');
    if (first == std::string_view::npos)
        throw UsageError("'" + std::string(path) + "' names no file");
    return std::string(path.substr(first));
}

void readPathsFile(const std::string &file, std::vector<std::string> &paths)
{
    std::ifstream in(file);
    if (!in)
        throw UsageError("cannot read the paths file '" + file + "': " + std::strerror(errno));
    for (std::string line; std::getline(in, line);) {
        if (!line.empty())
            paths.push_back(servedPath(line));
    }
}

// Options that take a value; returns false for a flag.
bool applyValue(Options &options, std::string_view arg, const std::string &value)
{
    if (arg == "-c" || arg == "--connections")
        options.connections = static_cast<uint32_t>(number(arg, value, 1, 100000));
    else if (arg == "-t" || arg == "--threads")
        options.threads = static_cast<uint32_t>(number(arg, value, 1, 256));
    else if (arg == "-d" || arg == "--duration")
        options.durationSeconds = seconds(arg, value);
    else if (arg == "-r" || arg == "--requests")
        options.maxRequests = number(arg, value, 1, UINT64_MAX);
    else if (arg == "--read-size")
        options.readSize = number(arg, value, 512, 16 << 20);
    else if (arg == "--timeout")
        options.timeout = std::chrono::milliseconds(static_cast<int64_t>(seconds(arg, value) * 1000));
    else if (arg == "-f" || arg == "--paths-file")
        readPathsFile(value, options.paths);
    else
        return false;
    return true;
}

bool takesValue(std::string_view arg)
{
    for (const char *name : {"-c", "--connections", "-t", "--threads", "-d", "--duration", "-r", "--requests",
                             "--timeout", "--read-size", "-f", "--paths-file"}) {
        if (arg == name)
            return true;
    }
    return false;
}

} // namespace

Options parseOptions(int argc, char **argv)
{
    Options options;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        // "-c16" as well as "-c 16", like wrk
        if (arg.size() > 2 && arg[0] == '-' && arg[1] != '-' && takesValue(arg.substr(0, 2))) {
            applyValue(options, arg.substr(0, 2), std::string(arg.substr(2)));
        } else if (takesValue(arg)) {
            if (i + 1 >= argc)
                throw UsageError(std::string(arg) + " needs a value");
            applyValue(options, arg, argv[++i]);
        } else if (arg == "-n" || arg == "--new-connection") {
            options.newConnection = true;
        } else if (arg == "--no-bye") {
            options.bye = false;
        } else if (arg == "--tls") {
            options.tls = true;
        } else if (arg == "-q" || arg == "--quiet") {
            options.quiet = true;
        } else if (arg == "-h" || arg == "--help") {
            options.help = true;
            return options;
        } else if (arg.starts_with("-")) {
            throw UsageError("unknown option " + std::string(arg));
        } else {
            positional.emplace_back(arg);
        }
    }
    if (positional.empty())
        throw UsageError("no server given");
    options.serverText = positional.front();
    options.server = parseAddress(positional.front());
    for (auto path = positional.begin() + 1; path != positional.end(); ++path)
        options.paths.push_back(servedPath(*path));
    if (options.paths.empty())
        throw UsageError("no path given");
    if (options.threads > options.connections)
        throw UsageError("more threads than connections");
    return options;
}

const char *usageText()
{
    return "Usage: ferry-bench [options] HOST:PORT [PATH...]\n"
           "Loads a Ferry server with GET requests and reports requests/s, bytes/s, errors\n"
           "and latency percentiles, then one JSON line for scripts.\n\n"
           "  -c, --connections N   concurrent connections (default 16)\n"
           "  -t, --threads N       threads, each with its own epoll loop (default 1)\n"
           "  -d, --duration SEC    how long to run (default 10)\n"
           "  -r, --requests N      stop once N requests have completed (with the duration as a limit)\n"
           "  -n, --new-connection  connect, HELLO, GET and BYE for every request (default: keep alive):\n"
           "                        the server closes first, as an HTTP server does after Connection: close\n"
           "      --no-bye          with -n: no BYE (protocol version 1), the client closes first\n"
           "  -f, --paths-file FILE more paths, one a line; all paths are requested in turn\n"
           "      --timeout SEC     a request taking longer counts as an error (default 10)\n"
           "      --read-size BYTES buffer size of each recv() (default 65536; wrk reads 8192)\n"
           "  -q, --quiet           print only the JSON line\n"
           "      --tls             TLS 1.3, a full handshake per connection, certificate not checked\n\n"
           "A PATH is relative to the server's root; leading slashes are dropped, so\n"
           "/small.bin and small.bin ask for the same file (the server itself refuses\n"
           "a path starting with '/').\n\n"
           "Latency runs from writing the request to the end of the answer (as wrk measures it);\n"
           "connection set-up is not included. Body bytes are read into a buffer and dropped.\n"
           "Exit code: 0 when every request succeeded, 1 when some failed, 2 on a usage error.\n";
}

} // namespace ferry::bench
