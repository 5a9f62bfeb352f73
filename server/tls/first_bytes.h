// What a new client speaks, from its first bytes: a TLS record starts with 0x16 (handshake), a Ferry
// frame with 0xF7 (proto::FrameMarker); anything else (HTTP, a port scanner) is left to the Ferry
// decoder, which answers it with the error it gets today. Pure functions over bytes, fuzzed in
// tests/fuzz (fuzz_first_bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ferry::server::tls {

// The content type of a TLS handshake record: every TLS connection's first byte.
constexpr uint8_t HandshakeRecordType = 0x16;

enum class Speaks { NeedMore, Tls, Ferry, Other };
Speaks classifyFirstBytes(std::span<const uint8_t> bytes);

constexpr size_t RecordHeaderSize = 5;
// TLS 1.3 (RFC 8446 5.1): a plaintext record carries at most 2^14 bytes.
constexpr size_t MaxRecordPayload = 16384;
// Enough to peek at a whole first record.
constexpr size_t MaxFirstRecord = RecordHeaderSize + MaxRecordPayload;

enum class FirstRecord {
    NeedMore, // the record is not all there yet
    Complete, // a whole handshake record that starts a ClientHello: hand it to a worker
    Malformed, // not a TLS record a client would send first: close
};
// Checks the first TLS record in `bytes` (which start with 0x16): record header version 0x03xx, a length
// from 1 to 2^14, and a handshake message of type client_hello (1). Only the first record is waited
// for: a ClientHello that spans several records is completed by the worker under its deadline.
FirstRecord checkFirstRecord(std::span<const uint8_t> bytes);
// The same from the record's first bytes (`head`, at most RecordHeaderSize + 1 are looked at) and the
// number of bytes that have arrived in all (`available` >= head.size()): what the parent peeked, or
// FIONREAD when the peek filled its bounded buffer, so a client sending its ClientHello a byte at a time
// costs a bounded copy per wake-up (parent/dispatcher_sniff.cpp).
FirstRecord checkFirstRecord(std::span<const uint8_t> head, size_t available);
constexpr size_t FirstRecordHeadSize = RecordHeaderSize + 1;

} // namespace ferry::server::tls
