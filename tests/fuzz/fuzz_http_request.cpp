// libFuzzer target: the metrics endpoint's HTTP request parser (server/metrics/http_request.cpp) on
// arbitrary bytes. Checked on every input besides the sanitizers' own checks:
//   - a verdict is final: the server parses what it has after every read, so once a prefix of the input
//     gets a verdict other than Incomplete, every longer prefix gets the same one (and the same format);
//   - Incomplete only below MaxRequestBytes: no input keeps the server reading past the bound;
//   - Serve only for a request that starts "GET /metrics" and has ended its headers.
#include "metrics/http_request.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace ferry::metrics;

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz_http_request: %s\n", what);
    std::abort();
}

bool sameOutcome(const HttpRequest &a, const HttpRequest &b)
{
    return a.verdict == b.verdict && (a.verdict != HttpVerdict::Serve || a.format == b.format);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const HttpRequest whole = parseHttpRequest(input);
    if (whole.verdict == HttpVerdict::Incomplete && size >= MaxRequestBytes)
        violated("Incomplete at or beyond MaxRequestBytes");
    if (whole.verdict == HttpVerdict::Serve) {
        if (!input.starts_with("GET /metrics"))
            violated("Serve for a request that is not GET /metrics");
        const std::string_view head = input.substr(0, MaxRequestBytes);
        if (head.find("\n\n") == std::string_view::npos && head.find("\n\r\n") == std::string_view::npos)
            violated("Serve before the end of the headers");
    }
    // Prefixes the way reads would cut them: every length up to 64, then every 61st.
    for (size_t length = 0; length <= size; length += length < 64 ? 1 : 61) {
        const HttpRequest prefix = parseHttpRequest(input.substr(0, length));
        if (prefix.verdict != HttpVerdict::Incomplete && !sameOutcome(prefix, whole))
            violated("a prefix's verdict changed when more bytes arrived");
    }
    (void)statusLine(whole.verdict);
    return 0;
}
