// The admin protocol's error codes (docs/ADMIN.md §3.4) and which of them end the connection. Kept apart
// from the codec so clients that parse JSON their own way (Ferry Admin, with Qt's) share the same table.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::admin {

enum class ErrorCode : uint8_t {
    Malformed,
    LineTooLong,
    PermissionDenied,
    Overloaded,
    UnsupportedVersion,
    UnknownCommand,
    BadArgument,
    NotFound,
    Conflict,
    Failed,
};
const char *errorCodeName(ErrorCode code);
// The code a reply names; nullopt for a name this version does not know.
std::optional<ErrorCode> errorCodeFromName(std::string_view name);
// Errors after which the server closes: the stream (or the peer) cannot be trusted any more.
bool closesConnection(ErrorCode code);

} // namespace ferry::admin
