// The JSON parser: recursive descent over a string_view, depth-bounded, offset-reporting.
#include "adminproto/json.h"

#include <charconv>
#include <cmath>

namespace ferry::admin {

namespace {

class Parser {
public:
    Parser(std::string_view text, int maxDepth) : m_text(text), m_maxDepth(maxDepth) {}

    JsonParseResult run()
    {
        JsonParseResult result;
        skipSpace();
        Json value;
        if (parseValue(value, 0)) {
            skipSpace();
            if (m_pos == m_text.size()) {
                result.value = std::move(value);
                return result;
            }
            fail("trailing characters after the value");
        }
        result.errorOffset = m_errorPos;
        result.error = m_error;
        return result;
    }

private:
    bool fail(const char *message)
    {
        if (m_error.empty()) {
            m_error = message;
            m_errorPos = m_pos;
        }
        return false;
    }
    bool atEnd() const { return m_pos >= m_text.size(); }
    char peek() const { return atEnd() ? '\0' : m_text[m_pos]; }
    void skipSpace()
    {
        while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
            ++m_pos;
    }
    bool literal(std::string_view word)
    {
        if (m_text.substr(m_pos, word.size()) != word)
            return fail("invalid literal");
        m_pos += word.size();
        return true;
    }

    bool parseValue(Json &out, int depth)
    {
        if (depth >= m_maxDepth)
            return fail("nesting too deep");
        switch (peek()) {
        case '{':
            return parseObject(out, depth);
        case '[':
            return parseArray(out, depth);
        case '"': {
            std::string s;
            if (!parseString(s))
                return false;
            out = Json(std::move(s));
            return true;
        }
        case 't':
            out = Json(true);
            return literal("true");
        case 'f':
            out = Json(false);
            return literal("false");
        case 'n':
            out = Json();
            return literal("null");
        default:
            return parseNumber(out);
        }
    }

    bool parseArray(Json &out, int depth)
    {
        ++m_pos; // '['
        out = Json::array();
        skipSpace();
        if (peek() == ']') {
            ++m_pos;
            return true;
        }
        for (;;) {
            skipSpace();
            Json item;
            if (!parseValue(item, depth + 1))
                return false;
            out.push(std::move(item));
            skipSpace();
            if (peek() == ',') {
                ++m_pos;
                continue;
            }
            if (peek() == ']') {
                ++m_pos;
                return true;
            }
            return fail("expected ',' or ']'");
        }
    }

    bool parseObject(Json &out, int depth)
    {
        ++m_pos; // '{'
        out = Json::object();
        skipSpace();
        if (peek() == '}') {
            ++m_pos;
            return true;
        }
        for (;;) {
            skipSpace();
            if (peek() != '"')
                return fail("expected a string key");
            std::string key;
            if (!parseString(key))
                return false;
            skipSpace();
            if (peek() != ':')
                return fail("expected ':'");
            ++m_pos;
            skipSpace();
            Json value;
            if (!parseValue(value, depth + 1))
                return false;
            out.set(key, std::move(value)); // a repeated key: the last one wins
            skipSpace();
            if (peek() == ',') {
                ++m_pos;
                continue;
            }
            if (peek() == '}') {
                ++m_pos;
                return true;
            }
            return fail("expected ',' or '}'");
        }
    }

    bool parseHex4(uint32_t &out)
    {
        if (m_pos + 4 > m_text.size())
            return fail("truncated \\u escape");
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = m_text[m_pos++];
            const int d = (c >= '0' && c <= '9') ? c - '0'
                : (c >= 'a' && c <= 'f')         ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')         ? c - 'A' + 10
                                                 : -1;
            if (d < 0)
                return fail("invalid \\u escape");
            out = (out << 4) | static_cast<uint32_t>(d);
        }
        return true;
    }

    static void appendUtf8(std::string &s, uint32_t cp)
    {
        if (cp < 0x80) {
            s += static_cast<char>(cp);
        } else if (cp < 0x800) {
            s += static_cast<char>(0xC0 | (cp >> 6));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s += static_cast<char>(0xE0 | (cp >> 12));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            s += static_cast<char>(0xF0 | (cp >> 18));
            s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    // \uXXXX, with UTF-16 surrogate pairs joined; a lone surrogate is an error.
    bool parseUnicodeEscape(std::string &s)
    {
        uint32_t cp = 0;
        if (!parseHex4(cp))
            return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail("lone low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low = 0;
            if (m_text.substr(m_pos, 2) != "\\u")
                return fail("lone high surrogate");
            m_pos += 2;
            if (!parseHex4(low))
                return false;
            if (low < 0xDC00 || low > 0xDFFF)
                return fail("invalid low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        appendUtf8(s, cp);
        return true;
    }

    bool parseEscape(std::string &s)
    {
        if (atEnd())
            return fail("unterminated string");
        const char c = m_text[m_pos++];
        switch (c) {
        case '"': s += '"'; return true;
        case '\\': s += '\\'; return true;
        case '/': s += '/'; return true;
        case 'b': s += '\b'; return true;
        case 'f': s += '\f'; return true;
        case 'n': s += '\n'; return true;
        case 'r': s += '\r'; return true;
        case 't': s += '\t'; return true;
        case 'u': return parseUnicodeEscape(s);
        default: --m_pos; return fail("invalid escape");
        }
    }

    bool parseString(std::string &s)
    {
        ++m_pos; // opening quote
        for (;;) {
            if (atEnd())
                return fail("unterminated string");
            const char c = m_text[m_pos];
            if (c == '"') {
                ++m_pos;
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                return fail("control character in string");
            ++m_pos;
            if (c == '\\') {
                if (!parseEscape(s))
                    return false;
            } else {
                s += c;
            }
        }
    }

    // JSON's number grammar checked by hand (from_chars is more permissive: leading '+', "1.", ".5").
    bool scanNumber(bool &integral)
    {
        integral = true;
        if (peek() == '-')
            ++m_pos;
        if (peek() == '0') {
            ++m_pos;
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9')
                ++m_pos;
        } else {
            return fail("unexpected character");
        }
        if (peek() == '.') {
            integral = false;
            ++m_pos;
            if (!(peek() >= '0' && peek() <= '9'))
                return fail("digit expected after '.'");
            while (peek() >= '0' && peek() <= '9')
                ++m_pos;
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            ++m_pos;
            if (peek() == '+' || peek() == '-')
                ++m_pos;
            if (!(peek() >= '0' && peek() <= '9'))
                return fail("digit expected in exponent");
            while (peek() >= '0' && peek() <= '9')
                ++m_pos;
        }
        return true;
    }

    bool parseNumber(Json &out)
    {
        const size_t start = m_pos;
        bool integral = true;
        if (!scanNumber(integral))
            return false;
        const char *first = m_text.data() + start;
        const char *last = m_text.data() + m_pos;
        if (integral) {
            int64_t v = 0;
            auto res = std::from_chars(first, last, v);
            if (res.ec == std::errc() && res.ptr == last) {
                out = Json(static_cast<long long>(v));
                return true;
            }
        }
        double d = 0;
        auto res = std::from_chars(first, last, d);
        if (res.ec != std::errc() || res.ptr != last || !std::isfinite(d)) {
            m_pos = start;
            return fail("number out of range");
        }
        out = Json(d);
        return true;
    }

    std::string_view m_text;
    int m_maxDepth;
    size_t m_pos = 0;
    size_t m_errorPos = 0;
    std::string m_error;
};

} // namespace

JsonParseResult parseJson(std::string_view text, int maxDepth)
{
    return Parser(text, maxDepth).run();
}

} // namespace ferry::admin
