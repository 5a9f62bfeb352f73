#include "manifest/manifest_codec.h"

#include <cstring>

namespace ferry::server::manifest {

namespace {

constexpr size_t HeaderSize = 4 + 8 + 32;

void putBig(std::string &out, uint64_t value, int bytes)
{
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
        out.push_back(char(uint8_t(value >> shift)));
}

uint64_t getBig(std::string_view in, size_t at, int bytes)
{
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i)
        value = value << 8 | uint8_t(in[at + size_t(i)]);
    return value;
}

Digest digestAt(std::string_view in, size_t at)
{
    Digest digest{};
    std::memcpy(digest.data(), in.data() + at, digest.size());
    return digest;
}

} // namespace

std::string encodeManifest(const Manifest &manifest)
{
    std::string out;
    out.reserve(HeaderSize + manifest.chunks.size() * sizeof(Digest));
    putBig(out, manifest.chunkSize, 4);
    putBig(out, manifest.chunks.size(), 8);
    out.append(reinterpret_cast<const char *>(manifest.root.data()), manifest.root.size());
    for (const Digest &chunk : manifest.chunks)
        out.append(reinterpret_cast<const char *>(chunk.data()), chunk.size());
    return out;
}

std::optional<Manifest> decodeManifest(std::string_view payload, const FileStamp &stamp, uint32_t chunkSize)
{
    if (payload.size() < HeaderSize || getBig(payload, 0, 4) != chunkSize)
        return std::nullopt;
    const uint64_t count = getBig(payload, 4, 8);
    if (count != chunkCountFor(stamp.size, chunkSize) || (payload.size() - HeaderSize) / sizeof(Digest) != count
        || (payload.size() - HeaderSize) % sizeof(Digest) != 0)
        return std::nullopt;
    Manifest manifest;
    manifest.stamp = stamp;
    manifest.chunkSize = chunkSize;
    manifest.root = digestAt(payload, 12);
    manifest.chunks.reserve(size_t(count));
    for (uint64_t i = 0; i < count; ++i)
        manifest.chunks.push_back(digestAt(payload, HeaderSize + size_t(i) * sizeof(Digest)));
    Digest root{};
    // Cheap (32 bytes per 4 MiB of file) and it catches a torn or flipped entry before a client does.
    if (!rootOf(manifest.chunks, root) || root != manifest.root)
        return std::nullopt;
    return manifest;
}

std::string encodeDigest(const Digest &digest) { return std::string(digest.begin(), digest.end()); }

std::optional<Digest> decodeDigest(std::string_view payload)
{
    if (payload.size() != sizeof(Digest))
        return std::nullopt;
    return digestAt(payload, 0);
}

} // namespace ferry::server::manifest
