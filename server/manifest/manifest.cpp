#include "manifest/manifest.h"

#include "manifest/file_hasher.h"

#include "base/syscall.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::server::manifest {

namespace {

Problem problem(Failure failure, std::string message) { return Problem{failure, std::move(message)}; }

Result<FileStamp> stampNow(const UniqueFd &file)
{
    struct stat info {};
    if (fstat(file.get(), &info) != 0)
        return problem(Failure::ReadFailed, std::string("fstat(): ") + std::strerror(errno));
    return stampOf(info);
}

// After the read: the file must be as it was before it.
std::optional<Problem> unchangedSince(const UniqueFd &file, const FileStamp &before)
{
    Result<FileStamp> after = stampNow(file);
    if (auto *failed = std::get_if<Problem>(&after))
        return *failed;
    const std::string change = describeChange(before, std::get<FileStamp>(after));
    if (!change.empty())
        return problem(Failure::FileChanged, "the file changed while it was being hashed: " + change);
    return std::nullopt;
}

// Drives `hasher` to its end at once, calling `progress` after each piece.
std::optional<Problem> hashAll(const UniqueFd &file, FileHasher &hasher, const Progress &progress)
{
    while (!hasher.isDone()) {
        if (auto failed = hasher.step(file))
            return failed;
        if (!progress(hasher.hashed()))
            return problem(Failure::Aborted, "hashing was stopped");
    }
    return std::nullopt;
}

} // namespace

uint64_t chunkCountFor(uint64_t size, uint32_t chunkSize) { return size / chunkSize + (size % chunkSize != 0); }

bool rootOf(const std::vector<Digest> &chunks, Digest &root)
{
    Sha256 hash;
    for (const Digest &chunk : chunks)
        if (!hash.update(chunk.data(), chunk.size()))
            return false;
    return hash.finish(root);
}

bool wholeDigestOf(const Manifest &manifest, WholeDigest &whole)
{
    whole.stamp = manifest.stamp;
    if (manifest.chunks.empty())
        return sha256Of(nullptr, 0, whole.digest);
    whole.digest = manifest.chunks.back();
    return true;
}

Result<FileHash> startFileHash(const UniqueFd &file, uint32_t chunkSize)
{
    Result<FileStamp> before = stampNow(file);
    if (auto *failed = std::get_if<Problem>(&before))
        return *failed;
    const FileStamp stamp = std::get<FileStamp>(before);
    if (chunkSize % 64 != 0) // a chain state exists only at the end of a 64-byte SHA-256 block
        return problem(Failure::Internal, "the chunk size " + std::to_string(chunkSize)
                                              + " is not a multiple of 64 bytes");
    if (const uint64_t count = chunkSize == 0 ? 0 : chunkCountFor(stamp.size, chunkSize); count > MaxChunks)
        return problem(Failure::TooLarge, "the file has " + std::to_string(count) + " chunks, more than the "
                                              + std::to_string(MaxChunks) + " a manifest may have");
    posix_fadvise(file.get(), 0, 0, POSIX_FADV_SEQUENTIAL); // a hint only: its failure changes nothing
    return FileHash{stamp, FileHasher(0, stamp.size, chunkSize)};
}

Result<Manifest> finishManifest(const UniqueFd &file, FileHash &hash)
{
    if (auto changed = unchangedSince(file, hash.stamp))
        return *changed;
    Manifest manifest;
    manifest.stamp = hash.stamp;
    manifest.chunkSize = hash.hasher.chunkSize();
    manifest.chunks = hash.hasher.takeChunks();
    if (!rootOf(manifest.chunks, manifest.root))
        return problem(Failure::Internal, "SHA-256 of the root failed");
    return manifest;
}

Result<WholeDigest> finishWholeDigest(const UniqueFd &file, FileHash &hash)
{
    if (auto changed = unchangedSince(file, hash.stamp))
        return *changed;
    WholeDigest whole{hash.stamp, {}};
    if (!hash.hasher.finish(whole.digest))
        return problem(Failure::Internal, "SHA-256 failed");
    return whole;
}

Result<Manifest> computeManifest(const UniqueFd &file, uint32_t chunkSize, const Progress &progress)
{
    Result<FileHash> started = startFileHash(file, chunkSize);
    if (auto *failed = std::get_if<Problem>(&started))
        return *failed;
    FileHash &hash = std::get<FileHash>(started);
    if (auto failed = hashAll(file, hash.hasher, progress))
        return *failed;
    return finishManifest(file, hash);
}

Result<WholeDigest> computeWholeDigest(const UniqueFd &file, const Progress &progress)
{
    Result<FileHash> started = startFileHash(file, 0);
    if (auto *failed = std::get_if<Problem>(&started))
        return *failed;
    FileHash &hash = std::get<FileHash>(started);
    if (auto failed = hashAll(file, hash.hasher, progress))
        return *failed;
    return finishWholeDigest(file, hash);
}

} // namespace ferry::server::manifest
