#include "net/wire_errors.h"

#include "ferry_version.h"

namespace ferry::server {

proto::Welcome serverWelcome(uint16_t version, bool tls)
{
    proto::Welcome welcome{version, proto::MaxFramePayload, "ferry-server/" FERRY_VERSION, {}};
    if (version >= proto::ProtocolVersion2 && tls)
        welcome.capabilities.push_back({std::string(proto::CapabilityTls), "1.3"});
    return welcome;
}

std::string describeDecodeError(proto::DecodeError error)
{
    switch (error) {
    case proto::DecodeError::HttpRequest:
        return "this is a Ferry server, not an HTTP server; use a Ferry client (ferry://host:port/)";
    case proto::DecodeError::UnsupportedVersion:
        return "this server speaks Ferry protocol versions " + std::to_string(proto::ProtocolVersion) + " to "
               + std::to_string(proto::HighestVersion);
    case proto::DecodeError::PathTooLong:
        return "path longer than " + std::to_string(proto::MaxPathLength) + " bytes";
    default: return std::string("malformed request: ") + proto::decodeErrorName(error);
    }
}

} // namespace ferry::server
