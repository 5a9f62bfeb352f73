#include "adminproto/protocol.h"

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
    if (!parsed.value) {
        return RequestError{ErrorCode::Malformed,
                            "invalid JSON at byte " + std::to_string(parsed.errorOffset) + ": " + parsed.error,
                            Json(), false, {}};
    }
    Json &value = *parsed.value;
    if (!value.isObject())
        return RequestError{ErrorCode::Malformed, "a request must be a JSON object", Json(), false, {}};
    RequestError error{ErrorCode::UnknownCommand, {}, Json(), false, {}};
    if (const Json *id = value.find("id"); id && id->isScalar()) {
        error.id = *id;
        error.hasId = true;
    }
    const Json *cmd = value.find("cmd");
    if (cmd && cmd->isString())
        error.cmd = cmd->toString();
    if (const Json *v = value.find("v"); v && !(v->isInt() && v->toInt() == ProtocolVersion)) {
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
    Json reply = Json::object();
    reply.set("v", ProtocolVersion);
    if (request.hasId)
        reply.set("id", request.id);
    reply.set("ok", true);
    reply.set("cmd", request.cmd);
    return reply;
}

Json errorReply(const Json *id, std::string_view cmd, ErrorCode code, std::string_view message)
{
    Json reply = Json::object();
    reply.set("v", ProtocolVersion);
    if (id)
        reply.set("id", *id);
    reply.set("ok", false);
    if (!cmd.empty())
        reply.set("cmd", cmd);
    reply.set("error", Json::object().set("code", errorCodeName(code)).set("message", message));
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
    Json message = Json::object();
    message.set("v", ProtocolVersion);
    message.set("event", name);
    return message;
}

std::string toLine(const Json &message)
{
    std::string line = message.dump();
    line += '\n';
    return line;
}

ArgStatus intArg(const Json &body, std::string_view key, int64_t min, int64_t max, int64_t &out,
                 std::string &error)
{
    const Json *value = body.find(key);
    if (!value || value->isNull())
        return ArgStatus::Absent;
    const bool integral = value->isInt() || (value->isNumber() && double(value->toInt()) == value->toDouble());
    if (!integral || value->toInt() < min || value->toInt() > max) {
        error = "\"" + std::string(key) + "\" must be an integer from " + std::to_string(min) + " to "
            + std::to_string(max);
        return ArgStatus::Invalid;
    }
    out = value->toInt();
    return ArgStatus::Ok;
}

ArgStatus boolArg(const Json &body, std::string_view key, bool &out, std::string &error)
{
    const Json *value = body.find(key);
    if (!value || value->isNull())
        return ArgStatus::Absent;
    if (!value->isBool()) {
        error = "\"" + std::string(key) + "\" must be true or false";
        return ArgStatus::Invalid;
    }
    out = value->toBool();
    return ArgStatus::Ok;
}

} // namespace ferry::admin
