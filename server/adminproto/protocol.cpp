#include "adminproto/protocol.h"

#include <cmath>
#include <cstdint>
#include <optional>

namespace ferry::admin {

LineBuffer::Next LineBuffer::next(std::string &line)
{
    const size_t newline = m_buffer.find('\n', m_start);
    if (newline == std::string::npos) {
        if (m_buffer.size() - m_start > m_maxLine)
            return Next::TooLong;
        if (m_start > 0) { // compact: only the unfinished line stays
            m_buffer.erase(0, m_start);
            m_start = 0;
        }
        return Next::NeedMore;
    }
    if (newline - m_start > m_maxLine + 1) // +1: a "\r" before "\n" does not count
        return Next::TooLong;
    size_t end = newline;
    if (end > m_start && m_buffer[end - 1] == '\r')
        --end;
    line.assign(m_buffer, m_start, end - m_start);
    m_start = newline + 1;
    if (m_start == m_buffer.size()) {
        m_buffer.clear();
        m_start = 0;
    }
    return Next::Line;
}

std::variant<Request, RequestError> parseRequest(std::string_view line)
{
    JsonParseResult parsed = parseJson(line);
    if (!parsed.value)
        return RequestError{ErrorCode::Malformed, std::move(parsed.error), Json(), false, {}};
    Json &value = *parsed.value;
    if (!value.is_object())
        return RequestError{ErrorCode::Malformed, "a request must be a JSON object", Json(), false, {}};
    RequestError error{ErrorCode::UnknownCommand, {}, Json(), false, {}};
    if (const Json *id = member(value, "id"); id && id->is_primitive()) {
        error.id = *id;
        error.hasId = true;
    }
    if (const Json *cmd = member(value, "cmd"); cmd && cmd->is_string())
        error.cmd = cmd->get<std::string>();
    if (const Json *v = member(value, "v"); v && !(v->is_number_integer() && *v == ProtocolVersion)) {
        error.code = ErrorCode::UnsupportedVersion;
        error.message = "this server speaks admin protocol version 1";
        return error;
    }
    if (error.cmd.empty()) {
        error.message = "the request has no \"cmd\" string";
        return error;
    }
    Request request{error.id, error.hasId, error.cmd, std::move(value)};
    return request;
}

Json okReply(const Request &request)
{
    Json reply{{"v", ProtocolVersion}};
    if (request.hasId)
        reply["id"] = request.id;
    reply["ok"] = true;
    reply["cmd"] = request.cmd;
    return reply;
}

Json errorReply(const Json *id, std::string_view cmd, ErrorCode code, std::string_view message)
{
    Json reply{{"v", ProtocolVersion}};
    if (id)
        reply["id"] = *id;
    reply["ok"] = false;
    if (!cmd.empty())
        reply["cmd"] = cmd;
    reply["error"] = Json{{"code", errorCodeName(code)}, {"message", message}};
    return reply;
}

Json errorReply(const RequestError &error)
{
    return errorReply(error.hasId ? &error.id : nullptr, error.cmd, error.code, error.message);
}

Json errorReply(const Request &request, ErrorCode code, std::string_view message)
{
    return errorReply(request.hasId ? &request.id : nullptr, request.cmd, code, message);
}

Json event(std::string_view name)
{
    return Json{{"v", ProtocolVersion}, {"event", name}};
}

std::string toLine(const Json &message)
{
    std::string line = dumpJson(message);
    line += '\n';
    return line;
}

namespace {

// An integer, or a number with an integral value (2.0, 1e3: clients that only have doubles).
std::optional<int64_t> integralValue(const Json &value)
{
    if (value.is_number_integer()) {
        if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(INT64_MAX))
            return std::nullopt;
        return value.get<int64_t>();
    }
    if (!value.is_number_float())
        return std::nullopt;
    const double d = value.get<double>();
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) >= 9.2e18)
        return std::nullopt;
    return int64_t(d);
}

} // namespace

ArgStatus intArg(const Json &body, std::string_view key, int64_t min, int64_t max, int64_t &out,
                 std::string &error)
{
    const Json *value = member(body, key);
    if (!value || value->is_null())
        return ArgStatus::Absent;
    const std::optional<int64_t> integral = integralValue(*value);
    if (!integral || *integral < min || *integral > max) {
        error = "\"" + std::string(key) + "\" must be an integer from " + std::to_string(min) + " to "
            + std::to_string(max);
        return ArgStatus::Invalid;
    }
    out = *integral;
    return ArgStatus::Ok;
}

ArgStatus boolArg(const Json &body, std::string_view key, bool &out, std::string &error)
{
    const Json *value = member(body, key);
    if (!value || value->is_null())
        return ArgStatus::Absent;
    if (!value->is_boolean()) {
        error = "\"" + std::string(key) + "\" must be true or false";
        return ArgStatus::Invalid;
    }
    out = value->get<bool>();
    return ArgStatus::Ok;
}

} // namespace ferry::admin
