// Reading Ferry frames out of a decoder that a TLS test client fills: what TlsRawClient (a blocking
// socket) and ShapedTlsClient (memory BIOs) share; each brings its own way of getting more plaintext.
#pragma once

#include "protocol/codec.h"

#include <QString>

#include <cstdint>
#include <functional>

namespace tlstest {

// More plaintext into the decoder; false with *why set when none can come (timeout, close, error).
using FillDecoder = std::function<bool(QString *why)>;

// The next frame, or false with *why set (the fill's reason, or bytes that do not decode).
inline bool readFrame(ferry::proto::Decoder &decoder, const FillDecoder &fill, ferry::proto::Message *message,
                      QString *why)
{
    for (;;) {
        ferry::proto::DecodeResult result = decoder.next();
        if (auto *decoded = std::get_if<ferry::proto::Message>(&result)) {
            *message = std::move(*decoded);
            return true;
        }
        if (!std::holds_alternative<ferry::proto::NeedMore>(result)) {
            *why = QStringLiteral("the server sent bytes that are not a frame");
            return false;
        }
        if (!fill(why))
            return false;
    }
}

// A whole GET answer: BODY, its bytes (each piece to `take`, counted in *received), BODY_END Ok after
// exactly the length BODY announced. False with *why set otherwise.
inline bool readBodyFrames(ferry::proto::Decoder &decoder, const FillDecoder &fill,
                           const std::function<void(const ferry::proto::BodyChunk &)> &take, uint64_t *received,
                           QString *why)
{
    ferry::proto::Message message;
    if (!readFrame(decoder, fill, &message, why))
        return false;
    const auto *body = std::get_if<ferry::proto::Body>(&message);
    if (!body) {
        *why = QStringLiteral("no BODY");
        return false;
    }
    *received = 0;
    for (;;) {
        ferry::proto::DecodeResult result = decoder.next();
        if (auto *chunk = std::get_if<ferry::proto::BodyChunk>(&result)) {
            *received += chunk->bytes.size();
            take(*chunk);
            continue;
        }
        if (auto *decoded = std::get_if<ferry::proto::Message>(&result)) {
            const auto *end = std::get_if<ferry::proto::BodyEnd>(decoded);
            if (!end || end->code != ferry::proto::ErrorCode::Ok || *received != body->length) {
                *why = QStringLiteral("the body ended badly after %1 of %2 bytes").arg(*received).arg(body->length);
                return false;
            }
            return true;
        }
        if (!std::holds_alternative<ferry::proto::NeedMore>(result)) {
            *why = QStringLiteral("the server sent bytes that are not a frame");
            return false;
        }
        if (!fill(why))
            return false;
    }
}

} // namespace tlstest
