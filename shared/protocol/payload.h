// Decoding of one complete frame payload. Internal to shared/protocol.
#pragma once

#include "codec.h"

#include <span>
#include <variant>

namespace ferry::proto {

using PayloadResult = std::variant<Message, DecodeError>;

// `type` must satisfy isKnownMessageType(). Checks every field and the payload's
// exact length; allocates nothing beyond what the payload's bytes justify.
PayloadResult decodePayload(MessageType type, std::span<const uint8_t> payload);

} // namespace ferry::proto
