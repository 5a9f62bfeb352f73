// Follows one GET answer (WELCOME on a fresh connection, then BODY, raw bytes, BODY_END)
// through arbitrarily split reads without allocating: frame headers and the first bytes
// of each payload go into fixed arrays, raw body bytes are only counted.
// The full decoder (protocol/codec.h) is not used here on purpose: it copies every byte
// into a growing buffer and builds std::strings, which a load generator must not pay for.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::bench {

enum class Outcome : uint8_t {
    NeedMore,
    Done,        // BODY_END with code OK
    Busy,        // the server sent BUSY
    ServerError, // ERROR, or BODY_END with a failure code
    Protocol,    // not a valid Ferry answer (bad marker, unexpected frame, bytes after the end)
};

class ResponseParser {
public:
    // Starts a new answer; a fresh connection expects a WELCOME first.
    void reset(bool expectWelcome);
    // Consumes bytes; returns NeedMore until the answer is complete or has failed.
    // Bytes after a complete answer are a Protocol error: requests are one at a time.
    Outcome feed(const uint8_t *data, size_t size);

    uint64_t bodyBytes() const { return m_bodyBytes; }

private:
    enum class Stage : uint8_t { Header, Payload, Raw, Finished };
    // One whole frame is in (header + the kept part of its payload).
    Outcome onFrame();
    size_t takeHeader(const uint8_t *data, size_t size);
    size_t takePayload(const uint8_t *data, size_t size);

    static constexpr size_t KeptPayload = 40; // BODY's payload is 32 bytes; BODY_END's code is 2
    Stage m_stage = Stage::Header;
    bool m_expectWelcome = false;
    bool m_sawBody = false;
    uint8_t m_header[8] = {};
    uint8_t m_payload[KeptPayload] = {};
    uint32_t m_have = 0;       // bytes of the current header or payload read so far
    uint32_t m_payloadSize = 0;
    uint64_t m_rawLeft = 0;
    uint64_t m_bodyBytes = 0;
};

} // namespace ferry::bench
