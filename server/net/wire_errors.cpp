#include "net/wire_errors.h"

#include "ferry_version.h"

namespace ferry::server {

proto::Welcome serverWelcome()
{
    return {proto::ProtocolVersion, proto::MaxFramePayload, "ferry-server/" FERRY_VERSION};
}

std::string describeDecodeError(proto::DecodeError error)
{
    switch (error) {
    case proto::DecodeError::HttpRequest:
        return "this is a Ferry server, not an HTTP server; use a Ferry client (ferry://host:port/)";
    case proto::DecodeError::UnsupportedVersion:
        return "this server speaks Ferry protocol version " + std::to_string(proto::ProtocolVersion) + " only";
    case proto::DecodeError::PathTooLong:
        return "path longer than " + std::to_string(proto::MaxPathLength) + " bytes";
    default: return std::string("malformed request: ") + proto::decodeErrorName(error);
    }
}

} // namespace ferry::server
