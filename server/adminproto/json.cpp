#include "adminproto/json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace ferry::admin {

Json::Json(unsigned long value) : m_type(Type::Int)
{
    constexpr auto max = static_cast<unsigned long>(std::numeric_limits<int64_t>::max());
    m_int = static_cast<int64_t>(value > max ? max : value);
}

Json::Json(unsigned long long value) : m_type(Type::Int)
{
    constexpr auto max = static_cast<unsigned long long>(std::numeric_limits<int64_t>::max());
    m_int = static_cast<int64_t>(value > max ? max : value);
}

Json Json::array()
{
    Json j;
    j.m_type = Type::Array;
    return j;
}

Json Json::object()
{
    Json j;
    j.m_type = Type::Object;
    return j;
}

int64_t Json::toInt() const
{
    if (m_type == Type::Int)
        return m_int;
    if (m_type == Type::Double && std::isfinite(m_double) && std::trunc(m_double) == m_double
        && std::fabs(m_double) < 9.2e18)
        return static_cast<int64_t>(m_double);
    return 0;
}

double Json::toDouble() const
{
    if (m_type == Type::Double)
        return m_double;
    if (m_type == Type::Int)
        return static_cast<double>(m_int);
    return 0;
}

const Json *Json::find(std::string_view key) const
{
    if (m_type != Type::Object)
        return nullptr;
    for (size_t i = 0; i < m_keys.size(); ++i) {
        if (m_keys[i] == key)
            return &m_items[i];
    }
    return nullptr;
}

Json &Json::set(std::string_view key, Json value)
{
    for (size_t i = 0; i < m_keys.size(); ++i) {
        if (m_keys[i] == key) {
            m_items[i] = std::move(value);
            return *this;
        }
    }
    m_keys.emplace_back(key);
    m_items.push_back(std::move(value));
    return *this;
}

Json &Json::push(Json value)
{
    m_items.push_back(std::move(value));
    return *this;
}

bool Json::operator==(const Json &other) const
{
    if (m_type != other.m_type)
        return false;
    switch (m_type) {
    case Type::Null:
        return true;
    case Type::Bool:
    case Type::Int:
        return m_int == other.m_int;
    case Type::Double:
        return m_double == other.m_double;
    case Type::String:
        return m_string == other.m_string;
    case Type::Array:
    case Type::Object:
        return m_keys == other.m_keys && m_items == other.m_items;
    }
    return false;
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid (overlong, surrogate, > U+10FFFF).
size_t utf8SequenceLength(std::string_view s, size_t i)
{
    const auto b0 = static_cast<unsigned char>(s[i]);
    size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size())
        return 0;
    uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr uint32_t minForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < minForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void dumpString(std::string_view s, std::string &out)
{
    static constexpr char Hex[] = "0123456789abcdef";
    out += '"';
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7F) {
            out += "\\u00";
            out += Hex[c >> 4];
            out += Hex[c & 0xF];
        } else if (c >= 0x80) {
            const size_t len = utf8SequenceLength(s, i);
            if (len == 0) {
                out += "\xEF\xBF\xBD"; // U+FFFD for a byte that is not valid UTF-8
                ++i;
                continue;
            }
            out.append(s.substr(i, len));
            i += len;
            continue;
        } else {
            out += static_cast<char>(c);
        }
        ++i;
    }
    out += '"';
}

} // namespace

void Json::dumpTo(std::string &out) const
{
    switch (m_type) {
    case Type::Null:
        out += "null";
        return;
    case Type::Bool:
        out += m_int ? "true" : "false";
        return;
    case Type::Int:
        out += std::to_string(m_int);
        return;
    case Type::Double: {
        if (!std::isfinite(m_double)) {
            out += "null"; // JSON has no NaN or infinity
            return;
        }
        char buf[32];
        auto res = std::to_chars(buf, buf + sizeof buf, m_double);
        out.append(buf, res.ptr);
        return;
    }
    case Type::String:
        dumpString(m_string, out);
        return;
    case Type::Array:
        out += '[';
        for (size_t i = 0; i < m_items.size(); ++i) {
            if (i)
                out += ',';
            m_items[i].dumpTo(out);
        }
        out += ']';
        return;
    case Type::Object:
        out += '{';
        for (size_t i = 0; i < m_items.size(); ++i) {
            if (i)
                out += ',';
            dumpString(m_keys[i], out);
            out += ':';
            m_items[i].dumpTo(out);
        }
        out += '}';
        return;
    }
}

std::string Json::dump() const
{
    std::string out;
    dumpTo(out);
    return out;
}

} // namespace ferry::admin
