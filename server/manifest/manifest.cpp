#include "manifest/manifest.h"

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

// Bytes per pread(): large enough that the syscalls cost nothing next to the hashing, small enough that
// progress and aborts are seen every millisecond or so. A divisor of every chunk size used in practice
// (a chunk that is not a multiple is still hashed exactly: pieces never cross a chunk's end).
constexpr size_t PieceSize = 1u << 20;

Problem problem(Failure failure, std::string message) { return Problem{failure, std::move(message)}; }

Result<FileStamp> stampNow(const UniqueFd &file)
{
    struct stat info {};
    if (fstat(file.get(), &info) != 0)
        return problem(Failure::ReadFailed, std::string("fstat(): ") + std::strerror(errno));
    return stampOf(info);
}

// Feeds the bytes [offset, offset + length) of `file` to `sink`, piece by piece, calling `progress`.
template <typename Sink>
std::optional<Problem> readRange(const UniqueFd &file, uint64_t offset, uint64_t length, std::vector<uint8_t> &buffer,
                                 const Progress &progress, Sink &&sink)
{
    uint64_t done = 0;
    while (done < length) {
        const size_t want = size_t(std::min<uint64_t>(buffer.size(), length - done));
        const ssize_t got = retryOnEintr([&] { return pread(file.get(), buffer.data(), want, off_t(offset + done)); });
        if (got < 0)
            return problem(Failure::ReadFailed, std::string("pread(): ") + std::strerror(errno));
        if (got == 0)
            return problem(Failure::FileChanged, "the file became shorter while it was being hashed");
        if (!sink(buffer.data(), size_t(got)))
            return problem(Failure::Internal, "SHA-256 failed");
        done += uint64_t(got);
        if (!progress(offset + done))
            return problem(Failure::Aborted, "hashing was stopped");
    }
    return std::nullopt;
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

Result<Manifest> computeManifest(const UniqueFd &file, uint32_t chunkSize, const Progress &progress)
{
    Result<FileStamp> before = stampNow(file);
    if (auto *failed = std::get_if<Problem>(&before))
        return *failed;
    Manifest manifest;
    manifest.stamp = std::get<FileStamp>(before);
    manifest.chunkSize = chunkSize;
    posix_fadvise(file.get(), 0, 0, POSIX_FADV_SEQUENTIAL); // a hint only: its failure changes nothing
    std::vector<uint8_t> buffer(std::min<size_t>(PieceSize, chunkSize));
    Sha256 hash;
    const uint64_t count = chunkCountFor(manifest.stamp.size, chunkSize);
    if (count > MaxChunks)
        return problem(Failure::TooLarge, "the file has " + std::to_string(count) + " chunks, more than the "
                                              + std::to_string(MaxChunks) + " a manifest may have");
    manifest.chunks.reserve(size_t(count));
    for (uint64_t index = 0; index < count; ++index) {
        const uint64_t offset = index * chunkSize;
        const uint64_t length = std::min<uint64_t>(chunkSize, manifest.stamp.size - offset);
        if (!hash.reset())
            return problem(Failure::Internal, hash.error());
        auto sink = [&hash](const uint8_t *data, size_t size) { return hash.update(data, size); };
        if (auto failed = readRange(file, offset, length, buffer, progress, sink))
            return *failed;
        if (!hash.finish(manifest.chunks.emplace_back()))
            return problem(Failure::Internal, hash.error());
    }
    if (auto changed = unchangedSince(file, manifest.stamp))
        return *changed;
    if (!rootOf(manifest.chunks, manifest.root))
        return problem(Failure::Internal, "SHA-256 of the root failed");
    return manifest;
}

Result<WholeDigest> computeWholeDigest(const UniqueFd &file, const Progress &progress)
{
    Result<FileStamp> before = stampNow(file);
    if (auto *failed = std::get_if<Problem>(&before))
        return *failed;
    const FileStamp stamp = std::get<FileStamp>(before);
    posix_fadvise(file.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    std::vector<uint8_t> buffer(PieceSize);
    Sha256 hash;
    auto sink = [&hash](const uint8_t *data, size_t size) { return hash.update(data, size); };
    if (auto failed = readRange(file, 0, stamp.size, buffer, progress, sink))
        return *failed;
    if (auto changed = unchangedSince(file, stamp))
        return *changed;
    WholeDigest whole{stamp, {}};
    if (!hash.finish(whole.digest))
        return problem(Failure::Internal, hash.error());
    return whole;
}

} // namespace ferry::server::manifest
