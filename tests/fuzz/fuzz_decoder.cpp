// libFuzzer target: the protocol decoder on arbitrary bytes.
//
// Input: one control byte, then the stream. The control byte picks the chunk sizes
// for a second, split decoding, whether that decoding reads body bytes "directly"
// past the decoder (bit 6, as a client reading into a file would) and a small frame
// limit (bit 7). Checked on every
// input besides the sanitizers' own checks:
//   - split decoding yields exactly what whole decoding yields;
//   - the decoded results, re-encoded, are byte for byte the start of the stream
//     (the encoding is canonical), and all of it if the stream ended cleanly;
//   - every decoded message survives encode -> decode unchanged.
#include "protocol/codec.h"

#include <cstdio>
#include <cstdlib>
#include <algorithm>

using namespace ferry::proto;

namespace {

struct Run {
    std::vector<Message> messages;
    std::vector<uint8_t> rebuilt; // messages re-encoded and body bytes, in stream order
    std::vector<size_t> itemEnds; // where each message or body run ends in `rebuilt`
    bool failed = false;
    DecodeError error = DecodeError::Truncated;
};

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
    std::abort();
}

// Returns false when the decoder has failed (the run is over).
bool drain(Decoder &decoder, Run &run, bool atEnd)
{
    for (;;) {
        DecodeResult result = atEnd ? decoder.finish() : decoder.next();
        if (std::holds_alternative<NeedMore>(result)) {
            return true;
        }
        if (const auto *error = std::get_if<DecodeError>(&result)) {
            run.failed = true;
            run.error = *error;
            return false;
        }
        if (const auto *chunk = std::get_if<BodyChunk>(&result)) {
            run.rebuilt.insert(run.rebuilt.end(), chunk->bytes.begin(), chunk->bytes.end());
            if (decoder.bodyRemaining() == 0) {
                run.itemEnds.push_back(run.rebuilt.size());
            }
            continue;
        }
        const Message &message = std::get<Message>(result);
        encode(message, run.rebuilt);
        run.itemEnds.push_back(run.rebuilt.size());
        run.messages.push_back(message);
    }
}

Run decodeInPieces(std::span<const uint8_t> stream, uint32_t limit, uint8_t control)
{
    Decoder decoder(limit);
    Run run;
    uint32_t state = 0x9E3779B9u ^ control;
    size_t pos = 0;
    while (pos < stream.size()) {
        size_t piece = stream.size() - pos;
        if (control != 0) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            piece = std::min<size_t>(piece, 1 + state % (control & 0x3F ? (control & 0x3F) : 1));
        }
        if ((control & 0x40) && decoder.bodyRemaining() > 0 && decoder.buffered() == 0) {
            const auto count = size_t(std::min<uint64_t>(piece, decoder.bodyRemaining()));
            run.rebuilt.insert(run.rebuilt.end(), stream.begin() + pos, stream.begin() + pos + count);
            decoder.consumeBodyDirect(count);
            if (decoder.bodyRemaining() == 0) {
                run.itemEnds.push_back(run.rebuilt.size());
            }
            pos += count;
            continue;
        }
        decoder.feed(stream.subspan(pos, piece));
        pos += piece;
        if (!drain(decoder, run, false)) {
            return run;
        }
    }
    drain(decoder, run, true);
    return run;
}

void checkRoundTrip(const Message &message)
{
    Decoder decoder;
    decoder.feed(encode(message));
    DecodeResult again = decoder.finish();
    const auto *decoded = std::get_if<Message>(&again);
    if (decoded == nullptr || !(*decoded == message)) {
        violated("encode -> decode changed a message");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    const uint8_t control = data[0];
    const std::span<const uint8_t> stream(data + 1, size - 1);
    const uint32_t limit = (control & 0x80) ? 64 : MaxFramePayload;

    const Run whole = decodeInPieces(stream, limit, 0);
    const Run split = decodeInPieces(stream, limit, control | 1);
    if (whole.failed != split.failed || (whole.failed && whole.error != split.error)) {
        violated("split decoding ended differently");
    }
    if (whole.messages != split.messages || whole.rebuilt != split.rebuilt || whole.itemEnds != split.itemEnds) {
        violated("split decoding produced different results");
    }
    if (whole.rebuilt.size() > stream.size() ||
        !std::equal(whole.rebuilt.begin(), whole.rebuilt.end(), stream.begin())) {
        violated("re-encoded results are not the start of the stream");
    }
    if (!whole.failed && whole.rebuilt.size() != stream.size()) {
        violated("a clean end left bytes unaccounted for");
    }
    for (const Message &message : whole.messages) {
        checkRoundTrip(message);
    }
    return 0;
}
