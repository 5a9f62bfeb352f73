// What the server tells a client whose byte stream cannot be decoded.
#pragma once

#include "protocol/codec.h"

#include <string>

namespace ferry::server {

// The human message of the ERROR that answers a malformed stream (its code is proto::errorCodeFor()).
std::string describeDecodeError(proto::DecodeError error);

} // namespace ferry::server
