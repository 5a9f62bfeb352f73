// Big-endian primitives shared by the encoder and the payload decoder. Internal to
// shared/protocol: not part of the library's interface.
#pragma once

#include "codec.h"

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::proto::wire {

// Longest string a u16 length prefix can carry.
constexpr size_t MaxStringLength = 0xFFFF;

// Cuts `text` to at most MaxStringLength bytes without splitting a UTF-8 sequence.
std::string_view clampString(std::string_view text);

class Writer {
public:
    explicit Writer(std::vector<uint8_t> &out) : m_out(out) {}

    void u8(uint8_t value) { m_out.push_back(value); }
    void u16(uint16_t value) { putBigEndian(value, 2); }
    void u32(uint32_t value) { putBigEndian(value, 4); }
    void u64(uint64_t value) { putBigEndian(value, 8); }
    void i64(int64_t value) { putBigEndian(static_cast<uint64_t>(value), 8); }
    // u16 byte length, then the bytes (cut to MaxStringLength, see clampString).
    void string(std::string_view text);
    // Bytes of a fixed-size field (a digest), without a length.
    void bytes(const uint8_t *data, size_t size) { m_out.insert(m_out.end(), data, data + size); }

private:
    void putBigEndian(uint64_t value, int bytes)
    {
        for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
            m_out.push_back(static_cast<uint8_t>(value >> shift));
        }
    }

    std::vector<uint8_t> &m_out;
};

// Reads fields from one frame payload. The first failure sticks: later reads return
// zero/empty and change nothing, so a decoder can read a whole message and check
// ok() once, while value checks go through require() to keep the first error.
class Reader {
public:
    explicit Reader(std::span<const uint8_t> bytes) : m_bytes(bytes) {}

    uint8_t u8() { return static_cast<uint8_t>(take(1)); }
    uint16_t u16() { return static_cast<uint16_t>(take(2)); }
    uint32_t u32() { return static_cast<uint32_t>(take(4)); }
    uint64_t u64() { return take(8); }
    int64_t i64() { return static_cast<int64_t>(take(8)); }
    // A u16-prefixed string; a length over `maxLength` fails with `tooLong` before
    // any byte of the string is looked at or copied.
    std::string string(size_t maxLength = MaxStringLength, DecodeError tooLong = DecodeError::BadValue);
    // Fills `out` from a fixed-size field; zeros after a failure.
    void bytes(uint8_t *out, size_t size);

    // Records `error` unless an earlier one is already recorded or `condition` holds.
    void require(bool condition, DecodeError error)
    {
        if (m_ok && !condition) {
            fail(error);
        }
    }
    // TrailingBytes if anything is left over; call after the last field.
    void expectEnd() { require(m_pos == m_bytes.size(), DecodeError::TrailingBytes); }

    bool ok() const { return m_ok; }
    DecodeError error() const { return m_error; }
    size_t remaining() const { return m_bytes.size() - m_pos; }

private:
    void fail(DecodeError error)
    {
        m_ok = false;
        m_error = error;
    }
    uint64_t take(size_t count);

    std::span<const uint8_t> m_bytes;
    size_t m_pos = 0;
    bool m_ok = true;
    DecodeError m_error = DecodeError::ShortPayload;
};

} // namespace ferry::proto::wire
