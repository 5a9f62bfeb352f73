// parseJson() as a SAX handler of nlohmann's parser: the handler builds the value itself so that it can
// stop at the depth limit, and it keeps the parser's error position and reason for the error reply.
#include "adminproto/json.h"

#include <cmath>
#include <vector>

namespace ferry::admin {

namespace {

class BoundedBuilder {
public:
    explicit BoundedBuilder(int maxDepth) : m_maxDepth(size_t(maxDepth)) {}

    bool null() { return add(nullptr); }
    bool boolean(bool value) { return add(value); }
    bool number_integer(Json::number_integer_t value) { return add(value); }
    bool number_unsigned(Json::number_unsigned_t value) { return add(value); }
    bool number_float(Json::number_float_t value, const Json::string_t &) { return add(value); }
    bool string(Json::string_t &value) { return add(std::move(value)); }
    bool binary(Json::binary_t &) { return false; } // JSON text has no binary values
    bool start_object(std::size_t) { return open(Json::object()); }
    bool key(Json::string_t &key)
    {
        m_key = std::move(key);
        return true;
    }
    bool end_object() { return close(); }
    bool start_array(std::size_t) { return open(Json::array()); }
    bool end_array() { return close(); }

    template <class Exception>
    bool parse_error(std::size_t position, const std::string &lastToken, const Exception &ex)
    {
        // nlohmann counts the byte it stopped at, so the offending byte is one before; its text names
        // line and column (always line 1 here) and echoes the token, which may be a 64 KiB string.
        m_error = "invalid JSON at byte " + std::to_string(position > 0 ? position - 1 : 0) + ": "
            + reason(ex.what(), lastToken);
        return false;
    }

    Json &result() { return m_root; }
    const std::string &error() const { return m_error; }

private:
    static std::string reason(std::string text, const std::string &lastToken)
    {
        if (const size_t tag = text.find("] "); tag != std::string::npos)
            text.erase(0, tag + 2); // "[json.exception.parse_error.101] "
        if (text.rfind("parse error at line ", 0) == 0) {
            if (const size_t colon = text.find(": "); colon != std::string::npos)
                text.erase(0, colon + 2);
        }
        const std::string echo = "; last read: '" + lastToken + "'";
        if (const size_t at = text.find(echo); at != std::string::npos)
            text.erase(at, echo.size());
        return text;
    }

    // Places a finished scalar or a new container where the parser is: the root, the end of the open
    // array, or the open object's current key (a repeated key: the last value wins, in the first place).
    Json *place(Json value)
    {
        if (m_open.empty()) {
            m_root = std::move(value);
            return &m_root;
        }
        Json &parent = *m_open.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        Json &slot = parent[m_key];
        slot = std::move(value);
        return &slot;
    }
    bool add(Json value)
    {
        place(std::move(value));
        return true;
    }
    bool open(Json container)
    {
        if (m_open.size() >= m_maxDepth) {
            m_error = "JSON nested deeper than " + std::to_string(m_maxDepth) + " levels";
            return false;
        }
        // Pointers stay valid: a container only grows while it is the innermost open one.
        m_open.push_back(place(std::move(container)));
        return true;
    }
    bool close()
    {
        m_open.pop_back();
        return true;
    }

    size_t m_maxDepth;
    Json m_root;
    std::vector<Json *> m_open;
    std::string m_key;
    std::string m_error;
};

} // namespace

JsonParseResult parseJson(std::string_view text, int maxDepth)
{
    BoundedBuilder builder(maxDepth);
    JsonParseResult result;
    if (Json::sax_parse(text.begin(), text.end(), &builder, nlohmann::json::input_format_t::json, true, false))
        result.value = std::move(builder.result());
    else
        result.error = builder.error().empty() ? std::string("invalid JSON") : builder.error();
    return result;
}

std::string dumpJson(const Json &value)
{
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

const Json *member(const Json &object, std::string_view key)
{
    if (!object.is_object())
        return nullptr;
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

int64_t intMember(const Json &object, std::string_view key)
{
    const Json *value = member(object, key);
    if (!value || !value->is_number())
        return 0;
    if (value->is_number_float()) {
        const double d = value->get<double>();
        return std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18 ? int64_t(d) : 0;
    }
    return value->get<int64_t>();
}

std::string textMember(const Json &object, std::string_view key)
{
    const Json *value = member(object, key);
    return value && value->is_string() ? value->get<std::string>() : std::string();
}

const Json &arrayMember(const Json &object, std::string_view key)
{
    static const Json empty = Json::array();
    const Json *value = member(object, key);
    return value && value->is_array() ? *value : empty;
}

} // namespace ferry::admin
