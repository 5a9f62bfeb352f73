// Fixed things the server tells clients: the handshake's answer, and what it says to a byte stream that
// cannot be decoded.
#pragma once

#include "protocol/codec.h"

#include <string>

namespace ferry::server {

// The WELCOME answering a HELLO of `version`, from the parent or a worker. A version 2 WELCOME lists the
// capabilities of this connection (`tls`: it runs inside TLS).
proto::Welcome serverWelcome(uint16_t version = proto::ProtocolVersion, bool tls = false);

// The human message of the ERROR that answers a malformed stream (its code is proto::errorCodeFor()).
std::string describeDecodeError(proto::DecodeError error);

} // namespace ferry::server
