// How a manifest and a whole-file digest are kept in a cache entry: fixed-width big-endian fields, as on
// the wire (the cache is private to this host, but one byte order everywhere is one less thing to get
// wrong). Pure: bytes in, values out.
#pragma once

#include "manifest/manifest.h"

#include <optional>
#include <string>
#include <string_view>

namespace ferry::server::manifest {

// chunkSize u32, chunkCount u64, root, then the digests. The stamp is the cache entry's, not repeated.
std::string encodeManifest(const Manifest &manifest);
// The manifest of the file `stamp` describes, or nullopt if `payload` is not one (wrong length, a
// chunk count that does not fit the size, a root that does not match its digests, another chunk size
// than `chunkSize`): a damaged or foreign cache entry is a miss, never an answer.
std::optional<Manifest> decodeManifest(std::string_view payload, const FileStamp &stamp, uint32_t chunkSize);

std::string encodeDigest(const Digest &digest);
std::optional<Digest> decodeDigest(std::string_view payload);

} // namespace ferry::server::manifest
