// libFuzzer target: the admin socket's request path on arbitrary bytes (docs/ADMIN.md §2-§5), twice:
// first its pure parts one line at a time (LineBuffer framing, parseRequest() with nlohmann's parser
// behind the 32-level bound, the typed arguments, the reply), then the whole stream through the real
// AdminServer on a real admin socket (fuzz_admin_server.h), commands and subscriptions included.
//
// Input: one control byte, then the stream. The control byte picks the size of the chunks the stream is
// appended in (bits 0-3), as reads off a socket would split it. Checked on every line, besides the
// sanitizers' own checks:
//   - nothing throws (an exception reaching the event loop would kill the server);
//   - a line is refused only as malformed, unsupported_version or unknown_command, and malformed
//     exactly when it is not a JSON object within the depth bound;
//   - the reply is one line of valid JSON with "v":1 and a boolean "ok", echoing a scalar id unchanged;
//   - a request's body written out and parsed again is the same value (the writer and the parser agree);
//   - the AdminServer greets, answers with JSON lines only (each "v":1, an event or a boolean "ok"), no
//     more replies than lines sent, and closes the half-closed connection;
//   - the client's reader of STATUS (statusFromJson, which Ferry Admin uses) never throws on any line, is
//     stable (what it reads, written and read again, reads the same), and reads every status the
//     AdminServer sends back to exactly what was sent.
#include "adminproto/json.h"
#include "adminproto/protocol.h"
#include "adminproto/status.h"
#include "fuzz_admin_server.h"

#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <variant>

using namespace ferry::admin;

namespace {

[[noreturn]] void violated(const char *what, const std::string &line)
{
    std::fprintf(stderr, "fuzz invariant violated: %s\nline: %s\n", what, line.substr(0, 200).c_str());
    std::abort();
}

// The arguments every command of §5 reads, read the way admin_commands.cpp reads them.
void readArguments(const Json &body)
{
    for (const char *key : {"min_spare", "max_spare", "max_workers", "max_requests", "slot", "connection",
                            "per_connection", "global", "interval_ms"}) {
        int64_t value = 0;
        std::string error;
        const ArgStatus status = intArg(body, key, 0, INT64_MAX, value, error);
        if ((status == ArgStatus::Invalid) == error.empty())
            violated("intArg's status and error disagree", key);
    }
    bool graceful = true;
    std::string error;
    if ((boolArg(body, "graceful", graceful, error) == ArgStatus::Invalid) == error.empty())
        violated("boolArg's status and error disagree", "graceful");
}

void checkReply(const Json &reply, const Json *id, const std::string &line)
{
    const std::string text = toLine(reply);
    if (text.empty() || text.back() != '\n' || text.find('\n') != text.size() - 1)
        violated("a reply is not exactly one line", line);
    const JsonParseResult again = parseJson(std::string_view(text).substr(0, text.size() - 1));
    if (!again.value || !again.value->is_object())
        violated("a reply is not a JSON object", line);
    const Json *v = member(*again.value, "v");
    const Json *ok = member(*again.value, "ok");
    if (!v || *v != ProtocolVersion || !ok || !ok->is_boolean())
        violated("a reply lacks \"v\":1 or a boolean \"ok\"", line);
    const Json *echoed = member(*again.value, "id");
    if ((id == nullptr) != (echoed == nullptr) || (id && *id != *echoed))
        violated("the id was not echoed unchanged", line);
}

// Arbitrary JSON read as a STATUS: whatever it makes of it is a fixed point of toJson/statusFromJson.
void readAsStatus(const Json &value, const std::string &line)
{
    const std::optional<StatusSnapshot> once = statusFromJson(value);
    if (!once)
        return;
    const Json written = toJson(*once);
    const std::optional<StatusSnapshot> twice = statusFromJson(written);
    if (!twice || toJson(*twice) != written)
        violated("statusFromJson is not stable on its own output", line);
}

// A status the AdminServer sent must read back to exactly what it wrote.
void checkServerStatus(const Json &message, const std::string &line)
{
    const Json *status = member(message, "status");
    if (!status || !status->is_object())
        return;
    const std::optional<StatusSnapshot> back = statusFromJson(*status);
    if (!back || toJson(*back) != *status)
        violated("a status the server sent does not read back the same", line);
}

void handleLine(const std::string &line)
{
    const JsonParseResult parsed = parseJson(line);
    const bool usable = parsed.value && parsed.value->is_object();
    if (usable) {
        readAsStatus(*parsed.value, line);
        if (const Json *status = member(*parsed.value, "status"))
            readAsStatus(*status, line);
    }
    // What docs/ADMIN.md §3 says is echoed: the request's "id" when it is a scalar; read independently of
    // parseRequest().
    const Json *id = usable ? member(*parsed.value, "id") : nullptr;
    if (id && !id->is_primitive())
        id = nullptr;
    const auto result = parseRequest(line);
    if (const auto *error = std::get_if<RequestError>(&result)) {
        if ((error->code == ErrorCode::Malformed) == usable)
            violated("malformed does not match the parse", line);
        if (error->code != ErrorCode::Malformed && error->code != ErrorCode::UnsupportedVersion
            && error->code != ErrorCode::UnknownCommand)
            violated("an unexpected refusal", line);
        checkReply(errorReply(*error), id, line);
        return;
    }
    const Request &request = std::get<Request>(result);
    if (!usable || request.cmd.empty() || !request.body.is_object())
        violated("an accepted request is not an object with a cmd", line);
    readArguments(request.body);
    const JsonParseResult reread = parseJson(dumpJson(request.body));
    if (!reread.value || *reread.value != request.body)
        violated("writing and reparsing changed a request", line);
    Json reply = okReply(request);
    for (const auto &[key, value] : request.body.items()) // what the audit line and a reply may carry
        reply[key == "v" || key == "id" || key == "ok" ? "_" + key : key] = value;
    checkReply(reply, id, line);
}

void checkConversation(const std::string &stream)
{
    const std::vector<std::string> lines = ferry::fuzz::converse(stream);
    if (lines.empty() || parseJson(lines.front()).value.value_or(Json()).value("event", "") != "hello")
        violated("the admin server did not greet", stream);
    size_t replies = 0;
    for (const std::string &line : lines) {
        const JsonParseResult parsed = parseJson(line);
        if (!parsed.value || !parsed.value->is_object() || parsed.value->value("v", 0) != ProtocolVersion)
            violated("the admin server wrote a line that is not a v1 JSON object", line);
        const Json *ok = member(*parsed.value, "ok");
        if (!member(*parsed.value, "event") && !(ok && ok->is_boolean()))
            violated("a line that is neither an event nor a reply", line);
        replies += ok ? 1 : 0;
        checkServerStatus(*parsed.value, line);
    }
    if (replies > size_t(std::count(stream.begin(), stream.end(), '\n')) + 1)
        violated("more replies than request lines", stream);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const size_t chunk = (data[0] & 0x0F) == 0 ? size : size_t(data[0] & 0x0F);
    const std::string_view stream(reinterpret_cast<const char *>(data + 1), size - 1);
    try {
        LineBuffer lines;
        std::string line;
        for (size_t at = 0; at < stream.size(); at += chunk) {
            lines.append(stream.substr(at, chunk));
            for (;;) {
                const LineBuffer::Next next = lines.next(line);
                if (next == LineBuffer::Next::TooLong)
                    return 0; // the server answers line_too_long and closes
                if (next == LineBuffer::Next::NeedMore)
                    break;
                handleLine(line);
            }
        }
        checkConversation(std::string(stream));
    } catch (const std::exception &e) {
        std::fprintf(stderr, "fuzz invariant violated: %s escaped\n", e.what());
        std::abort();
    }
    return 0;
}
