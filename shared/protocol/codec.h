// Ferry wire protocol: bytes in, messages out; messages in, bytes out. No Qt, no I/O.
#pragma once

#include "messages.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

namespace ferry::proto {

// Appends the complete frame for `message` (header + payload) to `out`.
// A Body frame is only the announcement: the caller sends the raw bytes and then a BodyEnd.
void encode(const Message &message, std::vector<uint8_t> &out);
std::vector<uint8_t> encode(const Message &message);
// Strings longer than 65535 bytes are cut there (at a UTF-8 character boundary). A
// ListPage must fit the peer's frame limit: fill it while
//   ListPageFixedSize + sum of encodedSize(entry) <= maxFramePayload.
constexpr size_t ListPageFixedSize = 1 + 4; // u8 last, u32 count
size_t encodedSize(const Entry &entry);
// The whole frame, header included.
size_t encodedSize(const Message &message);

// Why a byte stream is not a valid Ferry stream. Each value is distinct so that
// callers and tests can tell the cases apart; none of them is "need more bytes".
enum class DecodeError : uint8_t {
    BadMarker,          // a frame does not start with FrameMarker
    HttpRequest,        // the stream starts like an HTTP request line
    BadMagic,           // HELLO carries the wrong magic
    UnsupportedVersion, // HELLO carries a version outside ProtocolVersion..HighestVersion
    FrameTooLarge,      // announced payload length over the decoder's limit
    UnknownType,        // header names no known message type
    BadFlags,           // reserved header bits set
    ShortPayload,       // payload ends before the message's fields do
    TrailingBytes,      // payload continues after the message's last field
    BadValue,           // a field holds a value outside its enumeration
    PathTooLong,        // a path longer than MaxPathLength
    Truncated,          // end of stream inside a frame or a raw body
};
const char *decodeErrorName(DecodeError error);
// The code a server answers with for a decode error (e.g. PathTooLong -> Forbidden).
ErrorCode errorCodeFor(DecodeError error);

// A run of raw body bytes, pointing into the decoder's buffer; valid until the
// next call on the decoder.
struct BodyChunk {
    std::span<const uint8_t> bytes;
};
struct NeedMore {};

using DecodeResult = std::variant<NeedMore, Message, BodyChunk, DecodeError>;

// Incremental decoder. Feed arbitrary chunks; pull results with next(). Feeding
// one byte at a time yields exactly what feeding everything at once does.
// After a Body message the following `length` bytes are raw: next() hands them
// out as BodyChunks (or the caller reads them itself, see bodyRemaining()).
// Once an error is returned the decoder stays failed and returns it again.
class Decoder {
public:
    // `maxPayload`: the largest frame payload accepted; values above MaxFramePayload are capped.
    explicit Decoder(uint32_t maxPayload = MaxFramePayload);

    void feed(std::span<const uint8_t> bytes);
    DecodeResult next();
    // Call at end of stream. Returns what next() would, except that where next()
    // would say NeedMore it fails with Truncated if a frame or body was cut off
    // (BadMarker if the stream was only the start of an HTTP method), and returns
    // NeedMore for a stream that ended cleanly between frames.
    DecodeResult finish();

    // Raw body bytes still expected (0 outside a body).
    uint64_t bodyRemaining() const { return m_bodyRemaining; }
    // Bytes fed but not yet consumed.
    size_t buffered() const { return m_buffer.size() - m_pos; }
    // For a caller that read `count` body bytes straight from the socket, bypassing
    // the buffer. Only valid while buffered() == 0 and count <= bodyRemaining().
    void consumeBodyDirect(uint64_t count);
    // Takes the unconsumed bytes (e.g. to hand a connection to another process).
    std::vector<uint8_t> takeBuffered();

private:
    DecodeResult fail(DecodeError error);
    DecodeResult nextBodyChunk();
    std::optional<DecodeError> checkHeader(std::span<const uint8_t> header) const;

    std::vector<uint8_t> m_buffer;
    size_t m_pos = 0;
    uint64_t m_bodyRemaining = 0;
    uint32_t m_maxPayload;
    bool m_failed = false;
    bool m_started = false; // a complete frame header was seen: no HTTP sniffing any more
    DecodeError m_error = DecodeError::Truncated;
};

} // namespace ferry::proto
