// Ferry wire protocol, versions 1 and 2: the messages and their constants.
// docs/PROTOCOL.md is the contract; this header mirrors it. No Qt, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ferry::proto {

// The version every peer speaks; version 2 adds capabilities, AUTH, MANIFEST and BYE (PROTOCOL.md §10).
constexpr uint16_t ProtocolVersion = 1;
constexpr uint16_t ProtocolVersion2 = 2;
constexpr uint16_t HighestVersion = ProtocolVersion2;
// At most this many capabilities in a version 2 WELCOME.
constexpr size_t MaxCapabilities = 64;
// Bytes of a SHA-256 digest, as MANIFEST_PAGE carries them.
constexpr size_t Sha256Size = 32;
// First field of HELLO: "FERY" in ASCII, big-endian.
constexpr uint32_t HelloMagic = 0x46455259;
// First byte of every frame header. Not ASCII and not a UTF-8 lead byte, so text
// protocols (HTTP, SMTP banners, port scanners) are recognised at the first byte.
constexpr uint8_t FrameMarker = 0xF7;
constexpr size_t FrameHeaderSize = 8;
// Largest payload a peer may announce; checked before anything is allocated.
constexpr uint32_t MaxFramePayload = 1u << 20;
// Longest path a request may carry, in bytes (PATH_MAX on Linux).
constexpr size_t MaxPathLength = 4096;
// GET length meaning "to the end of the file".
constexpr uint64_t ToEnd = UINT64_MAX;
// Default TCP port of ferry:// URLs.
constexpr uint16_t DefaultPort = 4646;

enum class MessageType : uint8_t {
    // client -> server
    Hello = 0x01,
    List = 0x02,
    Stat = 0x03,
    Get = 0x04,
    Digest = 0x05,
    Auth = 0x06,     // version 2
    Manifest = 0x07, // version 2
    Bye = 0x08,      // version 2
    // server -> client
    Welcome = 0x41,
    ListPage = 0x42,
    StatReply = 0x43,
    Body = 0x44,
    BodyEnd = 0x45,
    Busy = 0x46,
    DigestReply = 0x47,
    AuthReply = 0x48,    // version 2
    ManifestPage = 0x49, // version 2
    Error = 0x7F,
};

// Numbered error codes carried by ERROR and BODY_END; stable across versions.
enum class ErrorCode : uint16_t {
    Ok = 0,
    BadRequest = 1,         // malformed frame or message; the server closes after sending
    UnsupportedVersion = 2, // HELLO names a version the server does not speak; then close
    NotFound = 3,
    Forbidden = 4,          // outside the root, hidden, `..`, NUL, absolute or over-long path
    NotAFile = 5,           // a directory, FIFO, socket or device where a file was asked for
    NotADirectory = 6,      // LIST on something that is not a directory
    Busy = 7,               // no worker free; see BUSY's retry-after
    ShuttingDown = 8,
    Internal = 9,
    FileChanged = 10,       // the file changed (shrank) while being sent; body is invalid
    RangeNotSatisfiable = 11, // GET offset beyond the end of the file
    Timeout = 12,           // idle or stalled connection closed by the server
    Unsupported = 13,       // e.g. an unknown digest algorithm
    TlsRequired = 14,       // a plaintext HELLO to a server that speaks Ferry only inside TLS; then close
    Unauthorized = 15,      // the path is outside every grant of this connection; AUTH with a bad token
    TokenExpired = 16,      // AUTH with an expired token, or a request under one that expired since; then close
    QuotaExceeded = 17,     // the token's byte allowance is used up
};

enum class EntryKind : uint8_t { File = 1, Directory = 2, Other = 3 };

enum class DigestAlgo : uint8_t { None = 0, Sha256 = 1 };

struct Entry {
    EntryKind kind = EntryKind::File;
    uint64_t size = 0;
    int64_t mtimeNs = 0; // modification time, nanoseconds since the Unix epoch
    std::string name;    // one path component (LIST) or the requested path (STAT)
    bool operator==(const Entry &) const = default;
};

struct Hello {
    uint16_t version = ProtocolVersion;
    std::string agent; // free text, e.g. "ferry-get/0.1"
    bool operator==(const Hello &) const = default;
};
struct ListRequest {
    std::string path; // relative to the served root; "" is the root
    bool operator==(const ListRequest &) const = default;
};
struct StatRequest {
    std::string path;
    bool operator==(const StatRequest &) const = default;
};
struct GetRequest {
    std::string path;
    uint64_t offset = 0;
    uint64_t length = ToEnd;
    bool operator==(const GetRequest &) const = default;
};
struct DigestRequest {
    std::string path;
    DigestAlgo algo = DigestAlgo::Sha256;
    uint64_t offset = 0;
    uint64_t length = ToEnd;
    bool operator==(const DigestRequest &) const = default;
};

struct AuthRequest {
    std::string token; // the secret, as in a capability link
    bool operator==(const AuthRequest &) const = default;
};
struct ManifestRequest {
    std::string path;
    bool operator==(const ManifestRequest &) const = default;
};
// No request follows: the server answers those before it, then closes first (PROTOCOL.md §10.6).
struct Bye {
    bool operator==(const Bye &) const = default;
};

using Sha256Digest = std::array<uint8_t, Sha256Size>;

// One entry of a version 2 WELCOME's list: names a client does not know are ignored.
struct Capability {
    std::string name;
    std::string value;
    bool operator==(const Capability &) const = default;
};
// Capability names defined by PROTOCOL.md §10.1.
inline constexpr std::string_view CapabilityAuth = "auth";
inline constexpr std::string_view CapabilityTls = "tls";
inline constexpr std::string_view CapabilityManifest = "manifest";
inline constexpr std::string_view CapabilityStreams = "streams";

struct Welcome {
    uint16_t version = ProtocolVersion;
    uint32_t maxFramePayload = MaxFramePayload;
    std::string agent; // e.g. "ferry-server/0.1"
    std::vector<Capability> capabilities; // on the wire only when version >= 2
    bool operator==(const Welcome &) const = default;
};
// The value of capability `name`, or null when the server does not offer it.
const std::string *capability(const Welcome &welcome, std::string_view name);

struct AuthReply {
    std::string tokenId; // public, shown in lists and logs
    std::string label;
    std::string scope;       // the subtree granted; "" is the whole tree
    int64_t expiresAtNs = 0; // 0 = never
    uint64_t rateLimit = 0;  // bytes/s over all of the token's connections; 0 = none
    uint64_t maxBytes = 0;   // 0 = no limit
    uint64_t bytesUsed = 0;
    bool operator==(const AuthReply &) const = default;
};
// One page of a file's chunk manifest; every page repeats the header fields.
struct ManifestPage {
    uint64_t fileSize = 0;
    int64_t mtimeNs = 0;
    uint32_t chunkSize = 0;
    uint32_t chunkCount = 0;
    Sha256Digest root{};
    uint32_t first = 0; // index of digests[0]
    bool last = false;
    std::vector<Sha256Digest> digests;
    bool operator==(const ManifestPage &) const = default;
};
struct ListPage {
    bool last = false; // the final page of this LIST answer
    std::vector<Entry> entries;
    bool operator==(const ListPage &) const = default;
};
struct StatReply {
    Entry entry;
    bool operator==(const StatReply &) const = default;
};
// Announces `length` raw body bytes that follow this frame directly, unframed.
// A BODY_END frame always follows the raw bytes; only its code Ok makes them valid.
struct Body {
    uint64_t offset = 0;
    uint64_t length = 0;
    uint64_t fileSize = 0;
    int64_t mtimeNs = 0;
    bool operator==(const Body &) const = default;
};
struct BodyEnd {
    ErrorCode code = ErrorCode::Ok;
    std::string message;
    bool operator==(const BodyEnd &) const = default;
};
struct Busy {
    uint32_t retryAfterMs = 0;
    std::string message;
    bool operator==(const Busy &) const = default;
};
struct DigestReply {
    DigestAlgo algo = DigestAlgo::Sha256;
    std::string digest; // raw digest bytes
    bool operator==(const DigestReply &) const = default;
};
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    bool operator==(const Error &) const = default;
};

using Message = std::variant<Hello, ListRequest, StatRequest, GetRequest, DigestRequest, Welcome, ListPage,
                             StatReply, Body, BodyEnd, Busy, DigestReply, Error, AuthRequest, ManifestRequest,
                             AuthReply, ManifestPage, Bye>;

MessageType typeOf(const Message &message);
// Upper-case names as PROTOCOL.md spells them ("LIST_PAGE", "NOT_FOUND"); "UNKNOWN"
// for values outside the enumeration (e.g. an error code from a newer server).
const char *messageTypeName(MessageType type);
const char *errorCodeName(ErrorCode code);
// Whether a frame header's type byte names a message of version 1 or 2.
bool isKnownMessageType(uint8_t value);
// Whether a message exists only in version 2 (a version 1 connection refuses it).
bool isVersion2Only(MessageType type);

} // namespace ferry::proto
