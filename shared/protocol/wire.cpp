#include "wire.h"

namespace ferry::proto::wire {

std::string_view clampString(std::string_view text)
{
    if (text.size() <= MaxStringLength) {
        return text;
    }
    size_t end = MaxStringLength;
    // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split.
    while (end > 0 && (static_cast<uint8_t>(text[end]) & 0xC0) == 0x80) {
        --end;
    }
    return text.substr(0, end);
}

void Writer::string(std::string_view text)
{
    const std::string_view clamped = clampString(text);
    u16(static_cast<uint16_t>(clamped.size()));
    m_out.insert(m_out.end(), clamped.begin(), clamped.end());
}

uint64_t Reader::take(size_t count)
{
    require(remaining() >= count, DecodeError::ShortPayload);
    if (!m_ok) {
        return 0;
    }
    uint64_t value = 0;
    for (size_t i = 0; i < count; ++i) {
        value = (value << 8) | m_bytes[m_pos + i];
    }
    m_pos += count;
    return value;
}

std::string Reader::string(size_t maxLength, DecodeError tooLong)
{
    const size_t length = u16();
    require(length <= maxLength, tooLong);
    require(remaining() >= length, DecodeError::ShortPayload);
    if (!m_ok) {
        return {};
    }
    std::string text(reinterpret_cast<const char *>(m_bytes.data() + m_pos), length);
    m_pos += length;
    return text;
}

void Reader::bytes(uint8_t *out, size_t size)
{
    require(remaining() >= size, DecodeError::ShortPayload);
    if (!m_ok) {
        std::memset(out, 0, size);
        return;
    }
    std::memcpy(out, m_bytes.data() + m_pos, size);
    m_pos += size;
}

} // namespace ferry::proto::wire
