// libFuzzer target: the PROXY protocol header parser (server/net/proxy_header.cpp) on arbitrary bytes.
// Checked on every input besides the sanitizers' own checks:
//   - NeedMore only below MaxHeaderSize: no input keeps the dispatcher reading past the bound;
//   - a header's length lies within the input and the bound, and the header alone gets the same verdict
//     while one byte less of it asks for more: the dispatcher consumes exactly the header;
//   - a verdict is final: the input one byte shorter gets NeedMore or the same verdict;
//   - Invalid always comes with a one-line reason; Proxied always names an IPv4 or IPv6 source.
#include "net/proxy_header.h"

#include <cstdio>
#include <cstdlib>
#include <netinet/in.h>

using namespace ferry::server;

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz_proxy_header: %s\n", what);
    std::abort();
}

void checkHeaderAlone(std::span<const uint8_t> input, const proxy::Header &whole)
{
    if (whole.length == 0 || whole.length > input.size() || whole.length > proxy::MaxHeaderSize)
        violated("a header's length outside the input or the bound");
    proxy::Header alone = proxy::parse(input.first(whole.length));
    if (alone.verdict != whole.verdict || alone.length != whole.length)
        violated("the header alone parses differently from the header with data after it");
    if (proxy::parse(input.first(whole.length - 1)).verdict != proxy::Verdict::NeedMore)
        violated("a header one byte short does not ask for more");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::span<const uint8_t> input(data, size);
    const proxy::Header whole = proxy::parse(input);
    switch (whole.verdict) {
    case proxy::Verdict::NeedMore:
        if (size >= proxy::MaxHeaderSize)
            violated("NeedMore at or beyond MaxHeaderSize");
        return 0;
    case proxy::Verdict::Proxied:
        if (whole.source.ss_family != AF_INET && whole.source.ss_family != AF_INET6)
            violated("Proxied without an IPv4 or IPv6 source");
        checkHeaderAlone(input, whole);
        return 0;
    case proxy::Verdict::Local: checkHeaderAlone(input, whole); return 0;
    case proxy::Verdict::Absent:
    case proxy::Verdict::Invalid: break;
    }
    if (whole.verdict == proxy::Verdict::Invalid
        && (whole.reason.empty() || whole.reason.find('\n') != std::string::npos))
        violated("Invalid without a one-line reason");
    if (size > 0) {
        proxy::Verdict shorter = proxy::parse(input.first(size - 1)).verdict;
        if (shorter != proxy::Verdict::NeedMore && shorter != whole.verdict)
            violated("a verdict changed when one more byte arrived");
    }
    return 0;
}
