#include "adminproto/error_codes.h"

namespace ferry::admin {

const char *errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Malformed: return "malformed";
    case ErrorCode::LineTooLong: return "line_too_long";
    case ErrorCode::PermissionDenied: return "permission_denied";
    case ErrorCode::Overloaded: return "overloaded";
    case ErrorCode::UnsupportedVersion: return "unsupported_version";
    case ErrorCode::UnknownCommand: return "unknown_command";
    case ErrorCode::BadArgument: return "bad_argument";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::Conflict: return "conflict";
    case ErrorCode::Failed: return "failed";
    }
    return "failed";
}

bool closesConnection(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Malformed:
    case ErrorCode::LineTooLong:
    case ErrorCode::PermissionDenied:
    case ErrorCode::Overloaded:
        return true;
    case ErrorCode::UnsupportedVersion:
    case ErrorCode::UnknownCommand:
    case ErrorCode::BadArgument:
    case ErrorCode::NotFound:
    case ErrorCode::Conflict:
    case ErrorCode::Failed:
        return false;
    }
    return true;
}

std::optional<ErrorCode> errorCodeFromName(std::string_view name)
{
    for (int code = 0; code <= int(ErrorCode::Failed); ++code)
        if (name == errorCodeName(ErrorCode(code)))
            return ErrorCode(code);
    return std::nullopt;
}

} // namespace ferry::admin
