// The request side of the metrics endpoint's HTTP: just enough to answer `GET /metrics` and refuse the rest.
// Pure (bytes in, a verdict out) so that it is unit-tested and fuzzed (tests/fuzz/fuzz_http_request.cpp).
// It distrusts its input: a request is at most MaxRequestBytes, header lines are split on LF (a CR before
// it is dropped), and anything it does not understand is a 400, never a guess.
#pragma once

#include "metrics/exposition.h"

#include <cstddef>
#include <string_view>

namespace ferry::metrics {

// Request line and headers together. Prometheus sends about 300 bytes; 8 KiB leaves room for proxies.
constexpr size_t MaxRequestBytes = 8192;

enum class HttpVerdict {
    Incomplete,    // no blank line yet: read more (the caller enforces the size bound with the verdict below)
    Serve,         // GET /metrics (any query string): 200
    BadRequest,    // 400: malformed request line or header, or not HTTP/1.x
    NotFound,      // 404: any other path
    NotAllowed,    // 405: any other method (the reply says "Allow: GET")
    TooLarge,      // 431: MaxRequestBytes without the end of the headers
};

struct HttpRequest {
    HttpVerdict verdict = HttpVerdict::Incomplete;
    Format format = Format::Prometheus; // OpenMetrics when Accept asks for it (Serve only)
};

// Examines everything received so far (`bytes` always starts at the request's first byte).
HttpRequest parseHttpRequest(std::string_view bytes);

// Whether an Accept header value prefers OpenMetrics: it lists application/openmetrics-text with a q
// above 0 and at least that of text/plain (Prometheus itself sends openmetrics first, q=1).
bool prefersOpenMetrics(std::string_view accept);

// Status code and reason phrase of a verdict other than Incomplete ("200 OK", "404 Not Found", ...).
std::string_view statusLine(HttpVerdict verdict);

} // namespace ferry::metrics
