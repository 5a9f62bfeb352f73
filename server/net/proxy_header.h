// The PROXY protocol header (HAProxy's doc/proxy-protocol.txt, versions 1 and 2) that a load balancer
// puts in front of a relayed connection to say whom it relays. Bytes in, verdict out: no sockets here,
// so the parser is table-tested and fuzzed; the dispatcher (dispatcher_proxy.cpp) does the reading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <sys/socket.h>

namespace ferry::server::proxy {

// The longest header accepted. Version 1 lines are at most 107 bytes; a version 2 header may carry TLVs
// up to 64 KiB, but a balancer relaying TCP sends 16 + 36 bytes and perhaps a short unique id: a header
// beyond this is refused rather than waited for.
constexpr size_t MaxHeaderSize = 4096;
// The longest version 1 line, CRLF included (proxy-protocol.txt §2.1).
constexpr size_t MaxV1Line = 107;

enum class Verdict {
    NeedMore, // a header has begun (or nothing has arrived yet): read more, under the deadline
    Proxied,  // a whole header naming the client: use `source` as the peer address
    Local,    // a whole header that names no client (v2 LOCAL, v1 UNKNOWN, v2 UNSPEC/UNIX): the real peer stands
    Absent,   // the bytes cannot begin a header: this connection has none
    Invalid,  // a header has begun and is malformed: `reason` says how
};

struct Header {
    Verdict verdict = Verdict::NeedMore;
    size_t length = 0;          // bytes the header takes (Proxied, Local): the client's data starts after them
    int version = 0;            // 1 or 2, once known
    sockaddr_storage source{};  // Proxied: the client's address and port
    sockaddr_storage destination{}; // Proxied: the address the client connected to (the balancer's)
    std::string reason;         // Invalid: one sentence, e.g. "the PROXY v1 source port is not a number"
};

// Reads a header from the start of `bytes` (everything received so far). Looks at no more than
// MaxHeaderSize bytes. NeedMore while the bytes are a proper prefix of something that could still be a
// header; so once the first byte differs from both signatures the answer is Absent.
Header parse(std::span<const uint8_t> bytes);

} // namespace ferry::server::proxy
