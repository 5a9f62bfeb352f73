#include "describe.h"

#include <cstdio>

namespace ferry::proto {

namespace {

std::string hex(std::string_view bytes)
{
    static constexpr char Digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += Digits[c >> 4];
        out += Digits[c & 0xF];
    }
    return out;
}

// Names unknown codes by number so that a code from a newer peer stays visible.
std::string codeText(ErrorCode code)
{
    std::string name = errorCodeName(code);
    if (name == "UNKNOWN") {
        name += "(" + std::to_string(static_cast<unsigned>(code)) + ")";
    }
    return name;
}

std::string algoText(DigestAlgo algo)
{
    std::string name = digestAlgoName(algo);
    if (name == "UNKNOWN") {
        name += "(" + std::to_string(static_cast<unsigned>(algo)) + ")";
    }
    return name;
}

std::string fields(const Entry &e)
{
    return "kind=" + std::string(entryKindName(e.kind)) + " size=" + std::to_string(e.size) +
           " mtimeNs=" + std::to_string(e.mtimeNs) + " name=" + quoted(e.name);
}

std::string fields(const Hello &m) { return "version=" + std::to_string(m.version) + " agent=" + quoted(m.agent); }
std::string fields(const ListRequest &m) { return "path=" + quoted(m.path); }
std::string fields(const StatRequest &m) { return "path=" + quoted(m.path); }
std::string fields(const GetRequest &m)
{
    return "path=" + quoted(m.path) + " offset=" + std::to_string(m.offset) + " length=" + std::to_string(m.length);
}
std::string fields(const DigestRequest &m)
{
    return "path=" + quoted(m.path) + " algo=" + algoText(m.algo) + " offset=" + std::to_string(m.offset) +
           " length=" + std::to_string(m.length);
}
std::string hex(const Sha256Digest &digest)
{
    return hex(std::string_view(reinterpret_cast<const char *>(digest.data()), digest.size()));
}

std::string fields(const Welcome &m)
{
    std::string out = "version=" + std::to_string(m.version) + " maxFramePayload=" +
                      std::to_string(m.maxFramePayload) + " agent=" + quoted(m.agent);
    if (m.version >= ProtocolVersion2) {
        out += " capabilities=[";
        for (size_t i = 0; i < m.capabilities.size(); ++i) {
            out += (i == 0 ? "" : ", ") + quoted(m.capabilities[i].name) + "=" + quoted(m.capabilities[i].value);
        }
        out += "]";
    }
    return out;
}
// The secret is never printed, not even in a debug description of a frame.
std::string fields(const AuthRequest &m) { return "token=<" + std::to_string(m.token.size()) + " bytes>"; }
std::string fields(const ManifestRequest &m) { return "path=" + quoted(m.path); }
std::string fields(const Bye &) { return ""; }
std::string fields(const AuthReply &m)
{
    return "tokenId=" + quoted(m.tokenId) + " label=" + quoted(m.label) + " scope=" + quoted(m.scope) +
           " expiresAtNs=" + std::to_string(m.expiresAtNs) + " rateLimit=" + std::to_string(m.rateLimit) +
           " maxBytes=" + std::to_string(m.maxBytes) + " bytesUsed=" + std::to_string(m.bytesUsed);
}
std::string fields(const ManifestPage &m)
{
    std::string out = "fileSize=" + std::to_string(m.fileSize) + " mtimeNs=" + std::to_string(m.mtimeNs) +
                      " chunkSize=" + std::to_string(m.chunkSize) + " chunkCount=" + std::to_string(m.chunkCount) +
                      " root=" + hex(m.root) + " first=" + std::to_string(m.first) + " last=" + (m.last ? "1" : "0") +
                      " digests=[";
    for (size_t i = 0; i < m.digests.size(); ++i) {
        out += (i == 0 ? "" : ", ") + hex(m.digests[i]);
    }
    return out + "]";
}
std::string fields(const ListPage &m)
{
    std::string out = std::string("last=") + (m.last ? "1" : "0") + " entries=[";
    for (size_t i = 0; i < m.entries.size(); ++i) {
        out += (i == 0 ? "{" : ", {") + fields(m.entries[i]) + "}";
    }
    return out + "]";
}
std::string fields(const StatReply &m) { return fields(m.entry); }
std::string fields(const Body &m)
{
    return "offset=" + std::to_string(m.offset) + " length=" + std::to_string(m.length) +
           " fileSize=" + std::to_string(m.fileSize) + " mtimeNs=" + std::to_string(m.mtimeNs);
}
std::string fields(const BodyEnd &m) { return "code=" + codeText(m.code) + " message=" + quoted(m.message); }
std::string fields(const Busy &m)
{
    return "retryAfterMs=" + std::to_string(m.retryAfterMs) + " message=" + quoted(m.message);
}
std::string fields(const DigestReply &m) { return "algo=" + algoText(m.algo) + " digest=" + hex(m.digest); }
std::string fields(const Error &m) { return "code=" + codeText(m.code) + " message=" + quoted(m.message); }

} // namespace

std::string quoted(std::string_view text)
{
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7F) {
            char escape[5];
            std::snprintf(escape, sizeof escape, "\\x%02x", c);
            out += escape;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

const char *entryKindName(EntryKind kind)
{
    switch (kind) {
    case EntryKind::File: return "FILE";
    case EntryKind::Directory: return "DIRECTORY";
    case EntryKind::Other: return "OTHER";
    }
    return "UNKNOWN";
}

const char *digestAlgoName(DigestAlgo algo)
{
    switch (algo) {
    case DigestAlgo::None: return "NONE";
    case DigestAlgo::Sha256: return "SHA256";
    }
    return "UNKNOWN";
}

std::string toString(const Message &message)
{
    std::string text = messageTypeName(typeOf(message));
    std::string described = std::visit([](const auto &m) { return fields(m); }, message);
    return described.empty() ? text : text + " " + described; // BYE has no fields

}

} // namespace ferry::proto
