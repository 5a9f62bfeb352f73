// The admin protocol's codec (docs/ADMIN.md): line framing, request parsing, reply and event builders.
// Pure: bytes in, values out. Shared by the admin server and ferry-ctl.
#pragma once

#include "adminproto/error_codes.h"
#include "adminproto/json.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace ferry::admin {

constexpr int ProtocolVersion = 1;
constexpr size_t MaxLineBytes = 65536; // a longer line is refused and the connection closed

// Splits a byte stream into lines without ever holding more than about two lines' worth of bytes.
class LineBuffer {
public:
    enum class Next { Line, NeedMore, TooLong };

    explicit LineBuffer(size_t maxLine = MaxLineBytes) : m_maxLine(maxLine) {}
    void append(std::string_view bytes) { m_buffer.append(bytes); }
    // Line: `line` holds the next line without "\n" (and without a trailing "\r").
    // TooLong: no newline within maxLine bytes; the caller must give up on the stream.
    Next next(std::string &line);
    size_t buffered() const { return m_buffer.size() - m_start; }

private:
    std::string m_buffer;
    size_t m_start = 0; // consumed prefix, compacted lazily so a burst of lines costs O(bytes)
    size_t m_maxLine;
};

struct Request {
    Json id;            // null when absent
    bool hasId = false;
    std::string cmd;
    Json body;          // the whole request object, for the arguments
};

struct RequestError {
    ErrorCode code;
    std::string message;
    Json id;
    bool hasId = false;
    std::string cmd;    // when readable
};

// Parses one line into a request. Protocol-level checks only (JSON, object, v, cmd is a string);
// whether the command exists is the dispatcher's business.
std::variant<Request, RequestError> parseRequest(std::string_view line);

// Reply skeletons: {"v":1,["id":…,]"ok":true,"cmd":…}; callers add their fields with reply["key"] = ….
Json okReply(const Request &request);
Json errorReply(const Json *id, std::string_view cmd, ErrorCode code, std::string_view message);
Json errorReply(const RequestError &error);
Json errorReply(const Request &request, ErrorCode code, std::string_view message);
Json event(std::string_view name);
// One protocol line: compact JSON and '\n'.
std::string toLine(const Json &message);

// Typed arguments. Absent: the key is not there (the caller keeps its value); Invalid: `error` says why.
enum class ArgStatus { Absent, Ok, Invalid };
ArgStatus intArg(const Json &body, std::string_view key, int64_t min, int64_t max, int64_t &out,
                 std::string &error);
ArgStatus boolArg(const Json &body, std::string_view key, bool &out, std::string &error);

} // namespace ferry::admin
