// A small JSON value with a parser and a writer, for the admin protocol (docs/ADMIN.md).
// No dependencies. The parser distrusts its input: it bounds nesting depth, never reads past the end,
// reports the byte offset of the first error, and never throws on bad input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::admin {

class Json {
public:
    enum class Type : uint8_t { Null, Bool, Int, Double, String, Array, Object };

    Json() = default;
    Json(std::nullptr_t) {}
    Json(bool value) : m_type(Type::Bool), m_int(value) {}
    Json(int value) : m_type(Type::Int), m_int(value) {}
    Json(unsigned value) : m_type(Type::Int), m_int(value) {}
    Json(long value) : m_type(Type::Int), m_int(value) {}
    Json(long long value) : m_type(Type::Int), m_int(value) {}
    // Counters above INT64_MAX do not occur (bytes, ids); they are clamped rather than wrapped.
    Json(unsigned long value);
    Json(unsigned long long value);
    Json(double value) : m_type(Type::Double), m_double(value) {}
    Json(std::string value) : m_type(Type::String), m_string(std::move(value)) {}
    Json(std::string_view value) : m_type(Type::String), m_string(value) {}
    Json(const char *value) : m_type(Type::String), m_string(value) {}

    static Json array();
    static Json object();

    Type type() const { return m_type; }
    bool isNull() const { return m_type == Type::Null; }
    bool isBool() const { return m_type == Type::Bool; }
    bool isInt() const { return m_type == Type::Int; }
    bool isNumber() const { return m_type == Type::Int || m_type == Type::Double; }
    bool isString() const { return m_type == Type::String; }
    bool isArray() const { return m_type == Type::Array; }
    bool isObject() const { return m_type == Type::Object; }
    // Scalars in JSON's sense: what an admin request may use as its `id`.
    bool isScalar() const { return !isArray() && !isObject(); }

    bool toBool() const { return m_type == Type::Bool && m_int != 0; }
    // Int as is; a Double that holds an integral value is converted; anything else is 0.
    int64_t toInt() const;
    double toDouble() const;
    const std::string &toString() const { return m_string; }

    // Arrays: elements in order. Objects: values in insertion order, keys() alongside.
    size_t size() const { return m_items.size(); }
    const std::vector<Json> &items() const { return m_items; }
    const std::vector<std::string> &keys() const { return m_keys; }
    const Json &at(size_t index) const { return m_items[index]; }

    // Object member lookup; nullptr when absent or when this is not an object. O(members).
    const Json *find(std::string_view key) const;
    // Adds or replaces a member (object) and returns *this for chaining.
    Json &set(std::string_view key, Json value);
    // Appends an element (array) and returns *this.
    Json &push(Json value);

    // Compact serialisation on one line (no '\n' can appear: control characters are escaped).
    // Invalid UTF-8 in strings is replaced by U+FFFD so the output is always valid JSON.
    std::string dump() const;
    void dumpTo(std::string &out) const;

    bool operator==(const Json &other) const;

private:
    Type m_type = Type::Null;
    int64_t m_int = 0;
    double m_double = 0;
    std::string m_string;
    std::vector<std::string> m_keys; // objects only, parallel to m_items
    std::vector<Json> m_items;
};

struct JsonParseResult {
    std::optional<Json> value; // set on success
    size_t errorOffset = 0;    // byte offset of the first problem
    std::string error;         // what went wrong, for the error reply
};

constexpr int JsonMaxDepth = 32; // nesting beyond this is refused: recursion stays bounded

// Parses exactly one JSON value surrounded by optional whitespace. Never throws on bad input.
JsonParseResult parseJson(std::string_view text, int maxDepth = JsonMaxDepth);

} // namespace ferry::admin
