// Fixed things the server tells clients: the handshake's answer, and what it says to a byte stream that
// cannot be decoded.
#pragma once

#include "protocol/codec.h"

#include <string>

namespace ferry::server {

// The WELCOME answering every HELLO, from the parent or a worker.
proto::Welcome serverWelcome();

// The human message of the ERROR that answers a malformed stream (its code is proto::errorCodeFor()).
std::string describeDecodeError(proto::DecodeError error);

} // namespace ferry::server
