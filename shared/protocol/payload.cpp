// Bytes of one frame payload in, one message out. The rules for what is a
// BadValue and what is tolerated for forward compatibility are in PROTOCOL.md.
#include "payload.h"
#include "wire.h"

namespace ferry::proto {

namespace {

using wire::Reader;

// kind + size + mtime + name length: the least bytes an entry can take.
constexpr size_t MinEntrySize = 1 + 8 + 8 + 2;

std::string readPath(Reader &r)
{
    return r.string(MaxPathLength, DecodeError::PathTooLong);
}

bool isKnownKind(uint8_t value)
{
    return value >= static_cast<uint8_t>(EntryKind::File) && value <= static_cast<uint8_t>(EntryKind::Other);
}

Entry readEntry(Reader &r)
{
    Entry entry;
    const uint8_t kind = r.u8();
    r.require(isKnownKind(kind), DecodeError::BadValue);
    entry.kind = static_cast<EntryKind>(kind);
    entry.size = r.u64();
    entry.mtimeNs = r.i64();
    entry.name = r.string();
    return entry;
}

Message readHello(Reader &r)
{
    Hello m;
    r.require(r.u32() == HelloMagic, DecodeError::BadMagic);
    m.version = r.u16();
    r.require(m.version >= ProtocolVersion && m.version <= HighestVersion, DecodeError::UnsupportedVersion);
    m.agent = r.string();
    return m;
}

Message readGet(Reader &r)
{
    GetRequest m;
    m.path = readPath(r);
    m.offset = r.u64();
    m.length = r.u64();
    return m;
}

Message readDigest(Reader &r)
{
    DigestRequest m;
    m.path = readPath(r);
    // Any algorithm number is accepted: a server answers ERROR UNSUPPORTED for one it
    // does not implement, so a newer client can probe without being disconnected.
    m.algo = static_cast<DigestAlgo>(r.u8());
    m.offset = r.u64();
    m.length = r.u64();
    return m;
}

// Version 2 appends a capability list; a version 1 WELCOME ends after the agent (PROTOCOL.md §10.1).
void readCapabilities(Reader &r, std::vector<Capability> &out)
{
    const uint16_t count = r.u16();
    r.require(count <= MaxCapabilities, DecodeError::BadValue);
    for (uint16_t i = 0; i < count && r.ok(); ++i) {
        Capability c;
        c.name = r.string();
        c.value = r.string();
        for (const Capability &seen : out) {
            r.require(seen.name != c.name, DecodeError::BadValue); // a name appears at most once
        }
        out.push_back(std::move(c));
    }
}

Message readWelcome(Reader &r)
{
    Welcome m;
    m.version = r.u16();
    m.maxFramePayload = r.u32();
    m.agent = r.string();
    if (r.ok() && m.version >= ProtocolVersion2) {
        readCapabilities(r, m.capabilities);
    }
    return m;
}

Message readAuthReply(Reader &r)
{
    AuthReply m;
    m.tokenId = r.string();
    m.label = r.string();
    m.scope = readPath(r);
    m.expiresAtNs = r.i64();
    m.rateLimit = r.u64();
    m.maxBytes = r.u64();
    m.bytesUsed = r.u64();
    return m;
}

Message readManifestPage(Reader &r)
{
    ManifestPage m;
    m.fileSize = r.u64();
    m.mtimeNs = r.i64();
    m.chunkSize = r.u32();
    // Entries are SHA-256 chain states at chunk ends (§10.5): only a whole number of 64-byte blocks has one.
    r.require(m.chunkSize != 0 && m.chunkSize % 64 == 0, DecodeError::BadValue);
    m.chunkCount = r.u32();
    r.bytes(m.root.data(), m.root.size());
    m.first = r.u32();
    const uint8_t last = r.u8();
    r.require(last <= 1, DecodeError::BadValue);
    m.last = last == 1;
    const uint32_t count = r.u32();
    // As for LIST_PAGE: a forged count cannot make the decoder allocate past the payload.
    r.require(count <= r.remaining() / Sha256Size, DecodeError::ShortPayload);
    if (r.ok()) {
        m.digests.resize(count);
        for (Sha256Digest &digest : m.digests) {
            r.bytes(digest.data(), digest.size());
        }
    }
    return m;
}

Message readListPage(Reader &r)
{
    ListPage m;
    const uint8_t last = r.u8();
    r.require(last <= 1, DecodeError::BadValue);
    m.last = last == 1;
    const uint32_t count = r.u32();
    // Checked against the bytes present before reserving, so a forged count
    // cannot make the decoder allocate more than the payload could describe.
    r.require(count <= r.remaining() / MinEntrySize, DecodeError::ShortPayload);
    if (r.ok()) {
        m.entries.reserve(count);
        for (uint32_t i = 0; i < count && r.ok(); ++i) {
            m.entries.push_back(readEntry(r));
        }
    }
    return m;
}

Message readBody(Reader &r)
{
    Body m;
    m.offset = r.u64();
    m.length = r.u64();
    m.fileSize = r.u64();
    m.mtimeNs = r.i64();
    return m;
}

Message readDigestReply(Reader &r)
{
    DigestReply m;
    const uint8_t algo = r.u8();
    r.require(algo <= static_cast<uint8_t>(DigestAlgo::Sha256), DecodeError::BadValue);
    m.algo = static_cast<DigestAlgo>(algo);
    m.digest = r.string();
    return m;
}

// ERROR and BODY_END carry any code: one from a newer server is passed through
// (errorCodeName() calls it UNKNOWN) and, not being Ok, still means failure.
template<typename T>
Message readCodeAndMessage(Reader &r)
{
    T m;
    m.code = static_cast<ErrorCode>(r.u16());
    m.message = r.string();
    return m;
}

Message readBusy(Reader &r)
{
    Busy m;
    m.retryAfterMs = r.u32();
    m.message = r.string();
    return m;
}

Message readMessage(MessageType type, Reader &r)
{
    switch (type) {
    case MessageType::Hello: return readHello(r);
    case MessageType::List: return ListRequest{readPath(r)};
    case MessageType::Stat: return StatRequest{readPath(r)};
    case MessageType::Get: return readGet(r);
    case MessageType::Digest: return readDigest(r);
    case MessageType::Welcome: return readWelcome(r);
    case MessageType::ListPage: return readListPage(r);
    case MessageType::StatReply: return StatReply{readEntry(r)};
    case MessageType::Body: return readBody(r);
    case MessageType::BodyEnd: return readCodeAndMessage<BodyEnd>(r);
    case MessageType::Busy: return readBusy(r);
    case MessageType::DigestReply: return readDigestReply(r);
    case MessageType::Error: return readCodeAndMessage<Error>(r);
    case MessageType::Auth: return AuthRequest{r.string()};
    case MessageType::Manifest: return ManifestRequest{readPath(r)};
    case MessageType::AuthReply: return readAuthReply(r);
    case MessageType::ManifestPage: return readManifestPage(r);
    case MessageType::Bye: return Bye{};
    }
    r.require(false, DecodeError::UnknownType);
    return Error{};
}

} // namespace

PayloadResult decodePayload(MessageType type, std::span<const uint8_t> payload)
{
    Reader r(payload);
    Message message = readMessage(type, r);
    r.expectEnd();
    if (!r.ok()) {
        return r.error();
    }
    return message;
}

} // namespace ferry::proto
