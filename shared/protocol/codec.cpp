// The incremental decoder: frame boundaries, header checks, raw body regions.
#include "codec.h"
#include "payload.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <string_view>

namespace ferry::proto {

namespace {

// Request-line starts of HTTP/1.x (RFC 9110 methods, then the space before the target).
constexpr std::array<std::string_view, 9> HttpMethods = {
    "GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "TRACE ", "PATCH ",
};

enum class StartKind { Http, MaybeHttp, NotHttp };

StartKind classifyStart(std::span<const uint8_t> bytes)
{
    bool maybe = false;
    for (std::string_view method : HttpMethods) {
        const size_t n = std::min(bytes.size(), method.size());
        if (std::memcmp(bytes.data(), method.data(), n) != 0) {
            continue;
        }
        if (n == method.size()) {
            return StartKind::Http;
        }
        maybe = true;
    }
    return maybe ? StartKind::MaybeHttp : StartKind::NotHttp;
}

uint32_t bigEndian32(const uint8_t *p)
{
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

} // namespace

const char *decodeErrorName(DecodeError error)
{
    switch (error) {
    case DecodeError::BadMarker: return "BadMarker";
    case DecodeError::HttpRequest: return "HttpRequest";
    case DecodeError::BadMagic: return "BadMagic";
    case DecodeError::UnsupportedVersion: return "UnsupportedVersion";
    case DecodeError::FrameTooLarge: return "FrameTooLarge";
    case DecodeError::UnknownType: return "UnknownType";
    case DecodeError::BadFlags: return "BadFlags";
    case DecodeError::ShortPayload: return "ShortPayload";
    case DecodeError::TrailingBytes: return "TrailingBytes";
    case DecodeError::BadValue: return "BadValue";
    case DecodeError::PathTooLong: return "PathTooLong";
    case DecodeError::Truncated: return "Truncated";
    }
    return "Unknown";
}

ErrorCode errorCodeFor(DecodeError error)
{
    switch (error) {
    case DecodeError::UnsupportedVersion: return ErrorCode::UnsupportedVersion;
    case DecodeError::PathTooLong: return ErrorCode::Forbidden;
    case DecodeError::BadMarker:
    case DecodeError::HttpRequest:
    case DecodeError::BadMagic:
    case DecodeError::FrameTooLarge:
    case DecodeError::UnknownType:
    case DecodeError::BadFlags:
    case DecodeError::ShortPayload:
    case DecodeError::TrailingBytes:
    case DecodeError::BadValue:
    case DecodeError::Truncated:
        return ErrorCode::BadRequest;
    }
    return ErrorCode::BadRequest;
}

Decoder::Decoder(uint32_t maxPayload) : m_maxPayload(std::min(maxPayload, MaxFramePayload)) {}

void Decoder::feed(std::span<const uint8_t> bytes)
{
    if (m_failed || bytes.empty()) {
        return;
    }
    if (m_pos == m_buffer.size()) {
        m_buffer.clear();
        m_pos = 0;
    } else if (m_pos >= m_buffer.size() / 2) {
        // Moving the tail only once it is no longer than what was consumed keeps
        // the copying linear in the stream length, however the stream is split.
        m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(m_pos));
        m_pos = 0;
    }
    m_buffer.insert(m_buffer.end(), bytes.begin(), bytes.end());
}

DecodeResult Decoder::fail(DecodeError error)
{
    m_failed = true;
    m_error = error;
    m_buffer.clear();
    m_buffer.shrink_to_fit();
    m_pos = 0;
    m_bodyRemaining = 0;
    return error;
}

DecodeResult Decoder::nextBodyChunk()
{
    const size_t count = static_cast<size_t>(std::min<uint64_t>(buffered(), m_bodyRemaining));
    if (count == 0) {
        return NeedMore{};
    }
    BodyChunk chunk{std::span<const uint8_t>(m_buffer.data() + m_pos, count)};
    m_pos += count;
    m_bodyRemaining -= count;
    return chunk;
}

// Checks each header field as soon as its bytes are present, so garbage is refused
// at its first byte rather than after a whole header's worth.
std::optional<DecodeError> Decoder::checkHeader(std::span<const uint8_t> header) const
{
    if (header.empty()) {
        return std::nullopt;
    }
    if (header[0] != FrameMarker) {
        if (m_started) {
            return DecodeError::BadMarker;
        }
        switch (classifyStart(header.first(std::min<size_t>(header.size(), 8)))) {
        case StartKind::Http: return DecodeError::HttpRequest;
        case StartKind::MaybeHttp: return std::nullopt;
        case StartKind::NotHttp: return DecodeError::BadMarker;
        }
    }
    if (header.size() >= 2 && !isKnownMessageType(header[1])) {
        return DecodeError::UnknownType;
    }
    if (header.size() >= 4 && (header[2] != 0 || header[3] != 0)) {
        return DecodeError::BadFlags;
    }
    if (header.size() >= FrameHeaderSize && bigEndian32(header.data() + 4) > m_maxPayload) {
        return DecodeError::FrameTooLarge;
    }
    return std::nullopt;
}

DecodeResult Decoder::next()
{
    if (m_failed) {
        return m_error;
    }
    if (m_bodyRemaining > 0) {
        return nextBodyChunk();
    }
    const std::span<const uint8_t> available(m_buffer.data() + m_pos, buffered());
    if (const auto error = checkHeader(available)) {
        return fail(*error);
    }
    if (available.size() < FrameHeaderSize) {
        return NeedMore{};
    }
    m_started = true;
    const uint32_t length = bigEndian32(available.data() + 4);
    if (available.size() - FrameHeaderSize < length) {
        return NeedMore{};
    }
    const auto type = static_cast<MessageType>(available[1]);
    PayloadResult result = decodePayload(type, available.subspan(FrameHeaderSize, length));
    if (const auto *error = std::get_if<DecodeError>(&result)) {
        return fail(*error);
    }
    m_pos += FrameHeaderSize + length;
    Message &message = std::get<Message>(result);
    if (const auto *body = std::get_if<Body>(&message)) {
        m_bodyRemaining = body->length;
    }
    return std::move(message);
}

DecodeResult Decoder::finish()
{
    DecodeResult result = next();
    if (!std::holds_alternative<NeedMore>(result)) {
        return result;
    }
    if (m_bodyRemaining > 0 || buffered() > 0) {
        // A partial HTTP method ("GE") was never a Ferry frame; anything else was cut off.
        const bool frameStarted = m_started || m_bodyRemaining > 0 || m_buffer[m_pos] == FrameMarker;
        return fail(frameStarted ? DecodeError::Truncated : DecodeError::BadMarker);
    }
    return NeedMore{};
}

void Decoder::consumeBodyDirect(uint64_t count)
{
    assert(buffered() == 0 && count <= m_bodyRemaining);
    m_bodyRemaining -= std::min(count, m_bodyRemaining);
}

std::vector<uint8_t> Decoder::takeBuffered()
{
    std::vector<uint8_t> rest(m_buffer.begin() + static_cast<std::ptrdiff_t>(m_pos), m_buffer.end());
    m_buffer.clear();
    m_pos = 0;
    return rest;
}

} // namespace ferry::proto
