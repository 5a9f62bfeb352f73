#include "tls/first_bytes.h"

namespace ferry::server::tls {

namespace {

constexpr uint8_t FerryFrameMarker = 0xF7; // proto::FrameMarker; this layer does not link the protocol
constexpr uint8_t ClientHello = 0x01;

} // namespace

Speaks classifyFirstBytes(std::span<const uint8_t> bytes)
{
    if (bytes.empty())
        return Speaks::NeedMore;
    if (bytes[0] == HandshakeRecordType)
        return Speaks::Tls;
    if (bytes[0] == FerryFrameMarker)
        return Speaks::Ferry;
    return Speaks::Other;
}

FirstRecord checkFirstRecord(std::span<const uint8_t> bytes) { return checkFirstRecord(bytes, bytes.size()); }

FirstRecord checkFirstRecord(std::span<const uint8_t> bytes, size_t available)
{
    if (bytes.empty() || bytes[0] != HandshakeRecordType)
        return FirstRecord::Malformed;
    if (bytes.size() >= 2 && bytes[1] != 0x03)
        return FirstRecord::Malformed;
    if (bytes.size() < RecordHeaderSize)
        return FirstRecord::NeedMore;
    size_t length = size_t(bytes[3]) << 8 | bytes[4];
    if (length == 0 || length > MaxRecordPayload)
        return FirstRecord::Malformed;
    if (bytes.size() > RecordHeaderSize && bytes[RecordHeaderSize] != ClientHello)
        return FirstRecord::Malformed;
    return available >= RecordHeaderSize + length ? FirstRecord::Complete : FirstRecord::NeedMore;
}

} // namespace ferry::server::tls
