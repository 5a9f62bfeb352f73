// Fixed things the server tells clients: the handshake's answer, and what it says to a byte stream that
// cannot be decoded.
#pragma once

#include "protocol/codec.h"

#include <string>
#include <vector>

namespace ferry::server {

// The WELCOME answering a HELLO of `version`, from the parent or a worker. A version 2 WELCOME lists the
// capabilities of this connection (`tls`: it runs inside TLS; `auth`: "required", "optional", or "" for
// none, docs/PROTOCOL.md §10.1).
proto::Welcome serverWelcome(uint16_t version = proto::ProtocolVersion, bool tls = false, std::string_view auth = {});

// What every version 2 WELCOME offers besides `tls` (e.g. `manifest`, `streams`), in this order. Set by
// the parent at start-up and on reload, before it forks workers; a worker inherits the list at fork, so
// each generation announces the settings it was started with (as it serves with them).
void setOfferedCapabilities(std::vector<proto::Capability> capabilities);

// The human message of the ERROR that answers a malformed stream (its code is proto::errorCodeFor()).
std::string describeDecodeError(proto::DecodeError error);

} // namespace ferry::server
