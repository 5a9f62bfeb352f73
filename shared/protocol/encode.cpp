// Messages in, bytes out. Field order and widths follow docs/PROTOCOL.md exactly.
#include "codec.h"
#include "wire.h"

#include <algorithm>

namespace ferry::proto {

namespace {

using wire::Writer;

void put(Writer &w, const Entry &entry)
{
    w.u8(static_cast<uint8_t>(entry.kind));
    w.u64(entry.size);
    w.i64(entry.mtimeNs);
    w.string(entry.name);
}

void put(Writer &w, const Hello &m)
{
    w.u32(HelloMagic);
    w.u16(m.version);
    w.string(m.agent);
}
void put(Writer &w, const ListRequest &m) { w.string(m.path); }
void put(Writer &w, const StatRequest &m) { w.string(m.path); }
void put(Writer &w, const GetRequest &m)
{
    w.string(m.path);
    w.u64(m.offset);
    w.u64(m.length);
}
void put(Writer &w, const DigestRequest &m)
{
    w.string(m.path);
    w.u8(static_cast<uint8_t>(m.algo));
    w.u64(m.offset);
    w.u64(m.length);
}
void put(Writer &w, const Welcome &m)
{
    w.u16(m.version);
    w.u32(m.maxFramePayload);
    w.string(m.agent);
    if (m.version >= ProtocolVersion2) {
        const size_t count = std::min(m.capabilities.size(), MaxCapabilities);
        w.u16(static_cast<uint16_t>(count));
        for (size_t i = 0; i < count; ++i) {
            w.string(m.capabilities[i].name);
            w.string(m.capabilities[i].value);
        }
    }
}
void put(Writer &w, const AuthRequest &m) { w.string(m.token); }
void put(Writer &w, const ManifestRequest &m) { w.string(m.path); }
void put(Writer &, const Bye &) {}
void put(Writer &w, const AuthReply &m)
{
    w.string(m.tokenId);
    w.string(m.label);
    w.string(m.scope);
    w.i64(m.expiresAtNs);
    w.u64(m.rateLimit);
    w.u64(m.maxBytes);
    w.u64(m.bytesUsed);
}
void put(Writer &w, const ManifestPage &m)
{
    w.u64(m.fileSize);
    w.i64(m.mtimeNs);
    w.u32(m.chunkSize);
    w.u32(m.chunkCount);
    w.bytes(m.root.data(), m.root.size());
    w.u32(m.first);
    w.u8(m.last ? 1 : 0);
    w.u32(static_cast<uint32_t>(m.digests.size()));
    for (const Sha256Digest &digest : m.digests) {
        w.bytes(digest.data(), digest.size());
    }
}
void put(Writer &w, const ListPage &m)
{
    w.u8(m.last ? 1 : 0);
    w.u32(static_cast<uint32_t>(m.entries.size()));
    for (const Entry &entry : m.entries) {
        put(w, entry);
    }
}
void put(Writer &w, const StatReply &m) { put(w, m.entry); }
void put(Writer &w, const Body &m)
{
    w.u64(m.offset);
    w.u64(m.length);
    w.u64(m.fileSize);
    w.i64(m.mtimeNs);
}
void put(Writer &w, const BodyEnd &m)
{
    w.u16(static_cast<uint16_t>(m.code));
    w.string(m.message);
}
void put(Writer &w, const Busy &m)
{
    w.u32(m.retryAfterMs);
    w.string(m.message);
}
void put(Writer &w, const DigestReply &m)
{
    w.u8(static_cast<uint8_t>(m.algo));
    w.string(m.digest);
}
void put(Writer &w, const Error &m)
{
    w.u16(static_cast<uint16_t>(m.code));
    w.string(m.message);
}

} // namespace

void encode(const Message &message, std::vector<uint8_t> &out)
{
    const size_t start = out.size();
    Writer w(out);
    w.u8(FrameMarker);
    w.u8(static_cast<uint8_t>(typeOf(message)));
    w.u16(0); // flags: reserved, zero in version 1
    w.u32(0); // payload length, patched below once known
    std::visit([&w](const auto &m) { put(w, m); }, message);

    const uint64_t payload = out.size() - start - FrameHeaderSize;
    for (int i = 0; i < 4; ++i) {
        out[start + 4 + i] = static_cast<uint8_t>(payload >> (24 - 8 * i));
    }
}

std::vector<uint8_t> encode(const Message &message)
{
    std::vector<uint8_t> out;
    encode(message, out);
    return out;
}

size_t encodedSize(const Entry &entry)
{
    return 1 + 8 + 8 + 2 + wire::clampString(entry.name).size();
}

size_t encodedSize(const Message &message)
{
    // Encoding is cheap next to sending; one code path keeps the size honest.
    return encode(message).size();
}

} // namespace ferry::proto
