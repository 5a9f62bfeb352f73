// A file's chunk manifest (docs/PROTOCOL.md §10.5): the SHA-256 chain state at the end of each chunk (the
// last chunk's entry is the file's SHA-256) and the root over them, computed from an open file in one
// sequential read, refused if the file changes meanwhile.
#pragma once

#include "manifest/file_stamp.h"
#include "manifest/sha256.h"
#include "base/unique_fd.h"

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace ferry::server::manifest {

// 4 MiB: a bad chunk costs a client 4 MiB again (under 0.1 s on a LAN, a few seconds on a slow link);
// 1 GiB is 256 chunks, enough to spread over 4 streams or 3 mirrors evenly; the manifest is 8 KiB per
// GiB, so 1 TiB still fits one 8 MiB answer and the cache holds thousands. Smaller chunks grow the
// manifest without speeding anything up; larger ones make each retry and each segment coarser. Any chunk
// size must be a multiple of 64, SHA-256's block, for its end to have a chain state.
constexpr uint32_t DefaultChunkSize = 4u << 20;

// The most chunks a manifest may have: 16 TiB at 4 MiB, 128 MiB of digests in the worker's memory while
// it is built. A larger (usually sparse) file is refused rather than allowed to exhaust the worker.
constexpr uint64_t MaxChunks = 1u << 22;

struct Manifest {
    FileStamp stamp;            // the file as it was for the whole computation
    uint32_t chunkSize = DefaultChunkSize;
    Digest root{};              // SHA-256 over the chunk entries, in order
    // ceil(size / chunkSize) entries, none for an empty file: entry i is the SHA-256 state (H0…H7,
    // big-endian) after bytes [0, (i + 1) × chunkSize), the last one the whole file's SHA-256.
    std::vector<Digest> chunks;
    bool operator==(const Manifest &) const = default;
};

// The SHA-256 of a whole file, and the file it belongs to.
struct WholeDigest {
    FileStamp stamp;
    Digest digest{};
    bool operator==(const WholeDigest &) const = default;
};

enum class Failure {
    FileChanged, // the file's size, mtime or ctime moved while it was read, or it ended early
    ReadFailed,  // pread() or fstat() failed
    Aborted,     // the progress callback said stop (the client went away, the worker is told to)
    TooLarge,    // more than MaxChunks chunks
    Internal,    // libcrypto failed
};

struct Problem {
    Failure failure = Failure::Internal;
    std::string message; // one sentence for the log and the client's ERROR
};

template <typename T>
using Result = std::variant<T, Problem>;

// Called after each piece read, with the bytes hashed so far; returns false to stop (Failure::Aborted).
using Progress = std::function<bool(uint64_t done)>;

// Chunk count for a file of `size` bytes: ceil(size / chunkSize).
uint64_t chunkCountFor(uint64_t size, uint32_t chunkSize);

// The root over chunk entries (of no bytes for an empty list). False only if libcrypto fails.
[[nodiscard]] bool rootOf(const std::vector<Digest> &chunks, Digest &root);

// Hashes the open regular file `file` from its first byte to the size fstat reports now. The file is
// fstat'ed before and after: a different size, mtime or ctime, or a read that ends early, is
// FileChanged; more than MaxChunks chunks is TooLarge, before anything is read (a chunk size that is
// not a multiple of 64, Internal). O(size) time,
// O(size / chunkSize) memory.
[[nodiscard]] Result<Manifest> computeManifest(const UniqueFd &file, uint32_t chunkSize, const Progress &progress);

// The whole file's SHA-256 from its manifest: the last entry, or the SHA-256 of no bytes for an empty
// file. So a whole-file DIGEST is answered from a cached manifest, and one read serves both requests.
// False only if libcrypto fails.
[[nodiscard]] bool wholeDigestOf(const Manifest &manifest, WholeDigest &whole);

// The SHA-256 of the whole file, under the same before/after check (what DIGEST of a whole file and
// `ferry-get sum` print: sha256sum's number, which the manifest's root is not; its last entry is).
[[nodiscard]] Result<WholeDigest> computeWholeDigest(const UniqueFd &file, const Progress &progress);

} // namespace ferry::server::manifest
