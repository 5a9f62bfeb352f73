#include "metrics/http_request.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace ferry::metrics {

namespace {

bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view text)
{
    if (text.empty())
        return false;
    for (char c : text)
        if (!isTokenChar(c))
            return false;
    return true;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool equalsIgnoringCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

// The next line of `rest` without its LF (and a CR before it); false if no LF is left.
bool nextLine(std::string_view &rest, std::string_view &line)
{
    const size_t lf = rest.find('\n');
    if (lf == std::string_view::npos)
        return false;
    line = rest.substr(0, lf);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    rest.remove_prefix(lf + 1);
    return true;
}

// "METHOD SP TARGET SP HTTP/1.x" with exactly one space between the parts.
HttpVerdict checkRequestLine(std::string_view line)
{
    const size_t first = line.find(' ');
    const size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos)
        return HttpVerdict::BadRequest;
    const std::string_view method = line.substr(0, first);
    const std::string_view target = line.substr(first + 1, second - first - 1);
    const std::string_view version = line.substr(second + 1);
    if (!isToken(method) || target.empty() || target.front() != '/' || (version != "HTTP/1.1" && version != "HTTP/1.0"))
        return HttpVerdict::BadRequest;
    for (char c : target)
        if (c <= ' ' || c == 0x7f)
            return HttpVerdict::BadRequest;
    if (method != "GET")
        return HttpVerdict::NotAllowed;
    const std::string_view path = target.substr(0, target.find('?'));
    return path == "/metrics" ? HttpVerdict::Serve : HttpVerdict::NotFound;
}

// One "Name: value" line. Adds an Accept value to `accept`. False if the line is malformed.
bool readHeader(std::string_view line, std::string &accept)
{
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon)))
        return false; // also refuses obsolete line folding (a line starting with a space)
    const std::string_view value = trim(line.substr(colon + 1));
    for (char c : value)
        if ((static_cast<unsigned char>(c) < ' ' && c != '\t') || c == 0x7f)
            return false;
    if (equalsIgnoringCase(line.substr(0, colon), "accept"))
        accept += std::string(accept.empty() ? "" : ",") + std::string(value);
    return true;
}

// The q value of one media range's parameters ("; q=0.5"); 1 when absent, -1 when malformed.
double qualityOf(std::string_view params)
{
    double q = 1.0;
    while (!params.empty()) {
        const size_t semicolon = params.find(';');
        const std::string_view param = trim(params.substr(0, semicolon));
        params = semicolon == std::string_view::npos ? std::string_view() : params.substr(semicolon + 1);
        if (param.size() < 2 || lower(param[0]) != 'q' || param[1] != '=')
            continue;
        const std::string text(param.substr(2));
        char *end = nullptr;
        q = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || q < 0 || q > 1)
            return -1;
    }
    return q;
}

} // namespace

bool prefersOpenMetrics(std::string_view accept)
{
    double openMetrics = 0, textPlain = 0;
    while (!accept.empty()) {
        const size_t comma = accept.find(',');
        const std::string_view range = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
        const size_t semicolon = range.find(';');
        const std::string_view type = trim(range.substr(0, semicolon));
        const double q = semicolon == std::string_view::npos ? 1.0 : qualityOf(range.substr(semicolon + 1));
        if (equalsIgnoringCase(type, "application/openmetrics-text"))
            openMetrics = std::max(openMetrics, q);
        else if (equalsIgnoringCase(type, "text/plain"))
            textPlain = std::max(textPlain, q);
    }
    return openMetrics > 0 && openMetrics >= textPlain;
}

HttpRequest parseHttpRequest(std::string_view bytes)
{
    const std::string_view bounded = bytes.substr(0, MaxRequestBytes);
    const HttpVerdict tooMuch = bytes.size() >= MaxRequestBytes ? HttpVerdict::TooLarge : HttpVerdict::Incomplete;
    std::string_view rest = bounded, line;
    if (!nextLine(rest, line))
        return {tooMuch};
    // The request line alone decides every refusal but a bad header, so refusals need not wait for more.
    const HttpVerdict verdict = checkRequestLine(line);
    if (verdict != HttpVerdict::Serve)
        return {verdict};
    std::string accept;
    while (nextLine(rest, line)) {
        if (line.empty())
            return {HttpVerdict::Serve, prefersOpenMetrics(accept) ? Format::OpenMetrics : Format::Prometheus};
        if (!readHeader(line, accept))
            return {HttpVerdict::BadRequest};
    }
    return {tooMuch};
}

std::string_view statusLine(HttpVerdict verdict)
{
    switch (verdict) {
    case HttpVerdict::Incomplete: break;
    case HttpVerdict::Serve: return "200 OK";
    case HttpVerdict::BadRequest: return "400 Bad Request";
    case HttpVerdict::NotFound: return "404 Not Found";
    case HttpVerdict::NotAllowed: return "405 Method Not Allowed";
    case HttpVerdict::TooLarge: return "431 Request Header Fields Too Large";
    }
    return "400 Bad Request";
}

} // namespace ferry::metrics
