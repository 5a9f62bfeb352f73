// One line of the audit log: what a finished request (or a refused connection) was, who asked, and how
// it ended. Written by whichever process finished it (the parent for refusals before a worker, the worker
// for everything it served), read back by ferry-ctl and Ferry Admin. Never holds a secret: a token is
// named by its id and label, never its value (docs/SECURITY.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::server::audit {

// The request field of a connection refused before any request was read (per-address limit, draining,
// TLS required, bytes that are not Ferry). Every other record names its request as docs/PROTOCOL.md
// spells the message type ("GET", "LIST", "AUTH", "MANIFEST"), so a new request kind needs no change here.
constexpr std::string_view ConnectRequest = "CONNECT";
// The result of a body cut short (client gone, send timeout, abort): not a protocol code, as the client
// was never told one.
constexpr std::string_view InterruptedResult = "INTERRUPTED";
// A line, newline included, is at most this long: the path is shortened to fit (pathTruncated). A path
// may be 4096 bytes and JSON escapes a control byte as six, so without a cap one line could reach 25 KiB.
constexpr size_t MaxLineBytes = 4096;

struct Record {
    int64_t timeMs = 0;         // when it finished: Unix time in milliseconds (UTC)
    std::string request;        // "GET", "LIST", ..., or ConnectRequest
    std::string peer;           // "host:port", as the scoreboard shows it (the real client behind a proxy)
    std::string tokenId;        // the access token the connection presented; "" = anonymous
    std::string tokenLabel;     // that token's label
    std::string path;           // as the client sent it, relative to the root; "" for the root or none
    bool pathTruncated = false; // shortened to keep the line under MaxLineBytes
    std::optional<uint64_t> offset; // GET and DIGEST: the range asked for
    std::optional<uint64_t> length; // the range's length, clamped to the file once it was opened
    uint64_t bytes = 0;         // body bytes sent (GET)
    std::string result;         // "OK", an error-code name ("NOT_FOUND", "BUSY"), or InterruptedResult
    uint64_t durationMs = 0;    // from the request's start (accept, for a refusal) to its end
    std::string tls = "none";   // "TLSv1.3", or "none" for plaintext and connections refused before TLS

    bool operator==(const Record &) const = default;
};

// The record as one JSON object on one line, '\n' included, at most MaxLineBytes long (the path is cut
// at a UTF-8 boundary and the record marked if it must be). Bytes that are not UTF-8 become U+FFFD.
std::string formatLine(const Record &record);
// formatLine(), appended to `out` (a batch of lines, say): no allocation when `out` has room.
void appendLine(const Record &record, std::string &out);

struct ParsedLine {
    std::optional<Record> record; // set when the line is a well-formed audit record
    std::string error;            // otherwise one sentence saying what is wrong with it
};
// Reads one line (with or without its '\n') back into a record. Never throws: a truncated line, garbage,
// a JSON value of the wrong shape or a field of the wrong type is an error, not a crash. Unknown fields
// are ignored, so lines from a newer server still read.
ParsedLine parseLine(std::string_view line);

} // namespace ferry::server::audit
