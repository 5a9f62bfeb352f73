#include "vectorfile.h"

#include "protocol/codec.h"
#include "protocol/describe.h"

#include <cctype>

namespace ferry::proto::testing {

namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

int hexDigit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// One `key: value` with its continuation lines, before interpretation.
struct Field {
    std::string key;
    std::string value;
};

bool finishVector(Vector &vector, const std::vector<Field> &fields, std::string &error)
{
    std::string hex;
    for (const Field &f : fields) {
        if (f.key == "hex") {
            hex += f.value;
        } else if (f.key == "message") {
            vector.expected.push_back({Expectation::Kind::Message, f.value});
        } else if (f.key == "body") {
            std::vector<uint8_t> body;
            if (!parseHex(f.value, body)) {
                error = "bad body hex in [" + vector.name + "]";
                return false;
            }
            vector.expected.push_back({Expectation::Kind::Body, toHex(body.data(), body.size())});
        } else if (f.key == "error") {
            vector.expected.push_back({Expectation::Kind::Error, f.value});
        } else {
            error = "unknown key '" + f.key + "' in [" + vector.name + "]";
            return false;
        }
    }
    if (!parseHex(hex, vector.bytes)) {
        error = "bad hex in [" + vector.name + "]";
        return false;
    }
    return true;
}

} // namespace

bool parseHex(std::string_view text, std::vector<uint8_t> &out)
{
    int high = -1;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            continue;
        }
        const int digit = hexDigit(c);
        if (digit < 0) {
            return false;
        }
        if (high < 0) {
            high = digit;
        } else {
            out.push_back(static_cast<uint8_t>(high << 4 | digit));
            high = -1;
        }
    }
    return high < 0;
}

std::string toHex(const uint8_t *data, size_t size)
{
    static constexpr char Digits[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < size; ++i) {
        out += Digits[data[i] >> 4];
        out += Digits[data[i] & 0xF];
    }
    return out;
}

std::string describe(const Expectation &e)
{
    switch (e.kind) {
    case Expectation::Kind::Message: return "message: " + e.text;
    case Expectation::Kind::Body: return "body: " + e.text;
    case Expectation::Kind::Error: return "error: " + e.text;
    }
    return {};
}

bool parseVectors(std::string_view text, std::vector<Vector> &out, std::string &error)
{
    std::vector<Field> fields;
    int lineNumber = 0;
    auto flush = [&]() { return out.empty() || finishVector(out.back(), fields, error); };
    while (!text.empty()) {
        const size_t end = text.find('\n');
        const std::string_view raw = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++lineNumber;
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.front() == '[' && line.back() == ']') {
            if (!flush()) {
                return false;
            }
            fields.clear();
            out.push_back({std::string(line.substr(1, line.size() - 2)), lineNumber, {}, {}});
        } else if (std::isspace(static_cast<unsigned char>(raw.front())) && !fields.empty()) {
            fields.back().value += " ";
            fields.back().value += line;
        } else if (const size_t colon = line.find(':'); colon != std::string_view::npos && !out.empty()) {
            fields.push_back({std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
        } else {
            error = "line " + std::to_string(lineNumber) + ": expected [name], key: value or a continuation";
            return false;
        }
    }
    return flush();
}

namespace {

// Pulls results out of a decoder into Expectation form, merging the chunks of a body.
struct Collector {
    Decoder decoder;
    std::vector<Expectation> out;
    bool inBody = false;

    explicit Collector(uint32_t maxPayload) : decoder(maxPayload) {}

    void addChunk(const BodyChunk &chunk)
    {
        const std::string hex = toHex(chunk.bytes.data(), chunk.bytes.size());
        if (inBody) {
            out.back().text += hex;
        } else {
            out.push_back({Expectation::Kind::Body, hex});
        }
        inBody = decoder.bodyRemaining() > 0;
    }

    // Returns false once the stream is over for the decoder (an error came out).
    bool drain(bool atEnd)
    {
        for (;;) {
            DecodeResult result = atEnd ? decoder.finish() : decoder.next();
            if (std::holds_alternative<NeedMore>(result)) {
                return true;
            }
            if (const auto *chunk = std::get_if<BodyChunk>(&result)) {
                addChunk(*chunk);
                continue;
            }
            inBody = false;
            if (const auto *error = std::get_if<DecodeError>(&result)) {
                out.push_back({Expectation::Kind::Error, decodeErrorName(*error)});
                return false;
            }
            out.push_back({Expectation::Kind::Message, toString(std::get<Message>(result))});
        }
    }
};

} // namespace

std::vector<Expectation> decodeStream(const std::vector<uint8_t> &bytes, const Chunker &chunker, uint32_t maxPayload)
{
    Collector collector(maxPayload);
    size_t pos = 0;
    while (pos < bytes.size()) {
        const size_t n = std::min(std::max<size_t>(chunker(bytes.size() - pos), 1), bytes.size() - pos);
        collector.decoder.feed(std::span<const uint8_t>(bytes.data() + pos, n));
        pos += n;
        if (!collector.drain(false)) {
            return collector.out;
        }
    }
    collector.drain(true);
    return collector.out;
}

} // namespace ferry::proto::testing
