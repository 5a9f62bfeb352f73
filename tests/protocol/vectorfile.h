// Reader for shared/protocol/vectors.txt and a decode driver shared by the codec
// tests and the fuzzer. Standard C++ only, so the clang-built fuzzer can use it.
//
// File format: `#` starts a comment line; `[name]` starts a vector; `key: value`
// lines follow, and a line starting with whitespace continues the previous value
// (joined with one space). Keys: `hex` (the byte stream, whitespace ignored) and,
// in the order the decoder must produce them, `message` (toString() of a message),
// `body` (hex of raw body bytes, all chunks of one body together) and `error`
// (decodeErrorName() of the final error).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::proto::testing {

struct Expectation {
    enum class Kind { Message, Body, Error };
    Kind kind = Kind::Message;
    std::string text; // message text, body hex, or error name
    bool operator==(const Expectation &) const = default;
};

struct Vector {
    std::string name;
    int line = 0; // where `[name]` is, for failure messages
    std::vector<uint8_t> bytes;
    std::vector<Expectation> expected;
};

// Parses the whole file; on a syntax error returns false and describes it in `error`.
bool parseVectors(std::string_view text, std::vector<Vector> &out, std::string &error);
bool parseHex(std::string_view text, std::vector<uint8_t> &out);
std::string toHex(const uint8_t *data, size_t size);
std::string describe(const Expectation &expectation);

// Chooses the size of the next piece to feed, given how many bytes are left (> 0).
using Chunker = std::function<size_t(size_t remaining)>;

// Feeds `bytes` to a fresh Decoder in pieces chosen by `chunker`, pulls every result,
// and calls finish() at the end. Returns what came out, in Expectation form: body
// chunks merged per body, at most one error, which ends the list.
std::vector<Expectation> decodeStream(const std::vector<uint8_t> &bytes, const Chunker &chunker,
                                      uint32_t maxPayload = 1u << 20);

} // namespace ferry::proto::testing
