// The SHA-256 work behind a manifest or a digest, a piece at a time: the state between pieces (where it
// is, the hash context, the chain states so far) lives here, so a caller may do other work between
// them (a TLS worker serves its other connections) or loop at once (computeManifest()). Reads with
// pread() only: the descriptor is the caller's, passed to each step, and its file offset is untouched.
#pragma once

#include "manifest/manifest.h"
#include "sha256chain/sha256chain.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace ferry::server::manifest {

// What a read that ends before the range does says, whichever path hashes it (a DIGEST in one go in a
// plaintext worker, worker/digest.h, or a piece per turn over TLS): the length was taken from fstat(),
// so the file was cut while it was hashed.
inline constexpr const char *FileShrankText = "the file became shorter while it was being hashed";

class FileHasher {
public:
    // Hashes the bytes [offset, offset + length). With `chunkSize` 0, as one SHA-256 (finish()); else
    // (offset 0, chunkSize a multiple of 64: startFileHash() checks) as one SHA-256 whose state is
    // taken at the end of each chunk, the last chunk's being the finished digest (takeChunks(), a
    // manifest's entries, docs/PROTOCOL.md §10.5).
    FileHasher(uint64_t offset, uint64_t length, uint32_t chunkSize);

    // Reads and hashes the next piece (at most 1 MiB, never across a chunk's end; about a millisecond
    // with SHA instructions). A read that ends early is FileChanged, a failed one ReadFailed.
    [[nodiscard]] std::optional<Problem> step(const UniqueFd &file);
    bool isDone() const { return m_done == m_length; }
    uint64_t hashed() const { return m_done; }
    uint64_t length() const { return m_length; }
    uint32_t chunkSize() const { return m_chunkSize; }

    // Once done: the SHA-256 of the range (chunkSize 0). False only if libcrypto fails.
    [[nodiscard]] bool finish(Digest &digest);
    // Once done: the chunk entries (chain states, the file's SHA-256 last), moved out.
    std::vector<Digest> takeChunks() { return std::move(m_chunks); }

private:
    std::optional<Problem> endChunkIfDue();

    uint64_t m_offset;
    uint64_t m_length;
    uint32_t m_chunkSize;
    uint64_t m_done = 0;
    Sha256 m_hash;                    // the range's (chunkSize 0)
    sha256chain::Sha256Chain m_chain; // the file's, read out at each chunk's end (chunkSize != 0)
    std::vector<Digest> m_chunks;     // finished chunks' entries (chunkSize != 0)
    std::vector<uint8_t> m_buffer;    // allocated at the first step, freed when done
};

// A whole file's hash under computeManifest()'s before/after check: the file's stamp before, and the
// hasher to drive to its end.
struct FileHash {
    FileStamp stamp;
    FileHasher hasher;
};

// Stamps the open regular file `file` and sets up the hash of all of it, in chunks of `chunkSize` (a
// manifest), or as one digest with 0. TooLarge, before anything is read, past MaxChunks chunks;
// Internal for a chunk size that is not a multiple of 64 (no chain state at its end).
[[nodiscard]] Result<FileHash> startFileHash(const UniqueFd &file, uint32_t chunkSize);
// Once its hasher is done: the manifest, or the whole file's digest; FileChanged if the file's size,
// mtime or ctime moved since it was stamped.
[[nodiscard]] Result<Manifest> finishManifest(const UniqueFd &file, FileHash &hash);
[[nodiscard]] Result<WholeDigest> finishWholeDigest(const UniqueFd &file, FileHash &hash);

} // namespace ferry::server::manifest
