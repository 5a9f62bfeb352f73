// The admin protocol's JSON (docs/ADMIN.md §2): nlohmann::json, used directly, plus the two things the
// protocol adds on top of it — a parse that refuses nesting deeper than 32 levels and says where the
// text went wrong, and a writer that never throws on the bytes it is given.
//
// Code builds and reads values with nlohmann's own API (`Json{{"key", value}}`, `value["key"]`,
// `is_number_integer()`, `get<int64_t>()`). Keep to the calls that cannot throw on peer data: look
// members up with member() (or find()), check a type before get<T>(), and never call at() or an
// implicit conversion on a value that came off the socket. Exceptions must not reach the event loop.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ferry::admin {

// Insertion-ordered, so replies list their fields in the order of docs/ADMIN.md and a client reading
// lines by eye sees "v", "id", "ok", "cmd" first.
using Json = nlohmann::ordered_json;

constexpr int JsonMaxDepth = 32; // objects and arrays open at once; deeper is refused as malformed

struct JsonParseResult {
    std::optional<Json> value; // set on success
    std::string error;         // otherwise one sentence, e.g. "invalid JSON at byte 1: …"
};

// Parses exactly one JSON value (RFC 8259: UTF-8, no comments) surrounded by optional whitespace.
// Never throws on bad input; the cost is O(text) in time and memory.
JsonParseResult parseJson(std::string_view text, int maxDepth = JsonMaxDepth);

// Compact, on one line (control characters are escaped, so no raw '\n'). Bytes that are not valid UTF-8
// (a file name off the disk, say) are written as U+FFFD instead of making nlohmann throw.
std::string dumpJson(const Json &value);

// The member `key` of an object; nullptr when it is absent or `object` is not an object.
const Json *member(const Json &object, std::string_view key);

// Readers for what a peer sent, which never throw: the member when it has the type asked for, else the
// fallback (0, "", an empty array). An integral double counts as an integer, as intArg() allows.
int64_t intMember(const Json &object, std::string_view key);
std::string textMember(const Json &object, std::string_view key);
const Json &arrayMember(const Json &object, std::string_view key);

} // namespace ferry::admin
