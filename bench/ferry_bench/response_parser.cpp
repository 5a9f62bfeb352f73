#include "response_parser.h"

#include "protocol/messages.h"

#include <algorithm>
#include <cstring>

namespace ferry::bench {

namespace {

using proto::MessageType;

uint64_t bigEndian(const uint8_t *bytes, int count)
{
    uint64_t value = 0;
    for (int i = 0; i < count; ++i)
        value = (value << 8) | bytes[i];
    return value;
}

} // namespace

void ResponseParser::reset(bool expectWelcome)
{
    m_stage = Stage::Header;
    m_expectWelcome = expectWelcome;
    m_sawBody = false;
    m_have = 0;
    m_rawLeft = 0;
    m_bodyBytes = 0;
}

size_t ResponseParser::takeHeader(const uint8_t *data, size_t size)
{
    const size_t take = std::min<size_t>(size, proto::FrameHeaderSize - m_have);
    std::memcpy(m_header + m_have, data, take);
    m_have += static_cast<uint32_t>(take);
    if (m_have == proto::FrameHeaderSize) {
        m_payloadSize = static_cast<uint32_t>(bigEndian(m_header + 4, 4));
        m_have = 0;
        m_stage = Stage::Payload;
    }
    return take;
}

size_t ResponseParser::takePayload(const uint8_t *data, size_t size)
{
    const size_t take = std::min<size_t>(size, m_payloadSize - m_have);
    if (m_have < KeptPayload)
        std::memcpy(m_payload + m_have, data, std::min<size_t>(take, KeptPayload - m_have));
    m_have += static_cast<uint32_t>(take);
    return take;
}

Outcome ResponseParser::feed(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    while (pos < size) {
        switch (m_stage) {
        case Stage::Header:
            pos += takeHeader(data + pos, size - pos);
            if (m_stage == Stage::Header)
                break;
            if (m_header[0] != proto::FrameMarker || m_payloadSize > proto::MaxFramePayload)
                return Outcome::Protocol;
            [[fallthrough]];
        case Stage::Payload:
            pos += takePayload(data + pos, size - pos);
            if (m_have == m_payloadSize) {
                const Outcome outcome = onFrame();
                if (outcome != Outcome::NeedMore)
                    return pos == size || outcome != Outcome::Done ? outcome : Outcome::Protocol;
            }
            break;
        case Stage::Raw: {
            const uint64_t take = std::min<uint64_t>(size - pos, m_rawLeft);
            pos += take;
            m_rawLeft -= take;
            m_bodyBytes += take;
            if (m_rawLeft == 0)
                m_stage = Stage::Header;
            break;
        }
        case Stage::Finished:
            return Outcome::Protocol;
        }
    }
    return Outcome::NeedMore;
}

Outcome ResponseParser::onFrame()
{
    const auto type = static_cast<MessageType>(m_header[1]);
    const size_t kept = std::min<size_t>(m_payloadSize, KeptPayload);
    m_have = 0;
    m_stage = Stage::Header;
    if (m_expectWelcome) {
        m_expectWelcome = false;
        if (type == MessageType::Welcome)
            return Outcome::NeedMore;
    }
    switch (type) {
    case MessageType::Body:
        if (m_sawBody || kept < 32)
            return Outcome::Protocol;
        m_sawBody = true;
        m_rawLeft = bigEndian(m_payload + 8, 8);
        if (m_rawLeft > 0)
            m_stage = Stage::Raw;
        return Outcome::NeedMore;
    case MessageType::BodyEnd:
        m_stage = Stage::Finished;
        if (!m_sawBody || kept < 2)
            return Outcome::Protocol;
        return bigEndian(m_payload, 2) == 0 ? Outcome::Done : Outcome::ServerError;
    case MessageType::Busy:
        return Outcome::Busy;
    case MessageType::Error:
        return Outcome::ServerError;
    default:
        return Outcome::Protocol;
    }
}

} // namespace ferry::bench
