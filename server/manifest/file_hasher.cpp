#include "manifest/file_hasher.h"

#include "base/syscall.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace ferry::server::manifest {

namespace {

// Bytes per pread(): large enough that the syscalls cost nothing next to the hashing, small enough that
// progress, aborts and a TLS worker's other connections are seen every millisecond or so. A divisor of
// every chunk size used in practice (a chunk that is not a multiple is still hashed exactly: pieces
// never cross a chunk's end).
constexpr size_t PieceSize = 1u << 20;

Problem problem(Failure failure, std::string message) { return Problem{failure, std::move(message)}; }

} // namespace

FileHasher::FileHasher(uint64_t offset, uint64_t length, uint32_t chunkSize)
    : m_offset(offset), m_length(length), m_chunkSize(chunkSize)
{
    if (chunkSize != 0)
        m_chunks.reserve(size_t(chunkCountFor(length, chunkSize)));
}

std::optional<Problem> FileHasher::step(const UniqueFd &file)
{
    if (isDone())
        return std::nullopt;
    if (!m_hash.isValid())
        return problem(Failure::Internal, m_hash.error());
    uint64_t want = std::min<uint64_t>(PieceSize, m_length - m_done);
    if (m_chunkSize != 0)
        want = std::min<uint64_t>(want, m_chunkSize - m_done % m_chunkSize);
    if (m_buffer.empty())
        m_buffer.resize(size_t(std::min<uint64_t>(PieceSize, m_length)));
    const off_t at = off_t(m_offset + m_done);
    const ssize_t got = retryOnEintr([&] { return pread(file.get(), m_buffer.data(), size_t(want), at); });
    if (got < 0)
        return problem(Failure::ReadFailed, std::string("pread(): ") + std::strerror(errno));
    if (got == 0)
        return problem(Failure::FileChanged, FileShrankText);
    m_done += uint64_t(got);
    if (m_chunkSize == 0) {
        if (!m_hash.update(m_buffer.data(), size_t(got)))
            return problem(Failure::Internal, m_hash.error());
    } else {
        m_chain.update(m_buffer.data(), size_t(got));
        if (auto failed = endChunkIfDue())
            return failed;
    }
    if (isDone())
        m_buffer = {};
    return std::nullopt;
}

// At a chunk's end its entry: the chain's state, or for the last chunk the file's SHA-256.
std::optional<Problem> FileHasher::endChunkIfDue()
{
    if (isDone()) {
        m_chunks.push_back(m_chain.digest());
        return std::nullopt;
    }
    if (m_done % m_chunkSize != 0)
        return std::nullopt;
    const std::optional<Digest> state = m_chain.state();
    if (!state) // startFileHash() refuses such chunk sizes
        return problem(Failure::Internal, "a chunk ends inside a SHA-256 block");
    m_chunks.push_back(*state);
    return std::nullopt;
}

bool FileHasher::finish(Digest &digest) { return isDone() && m_hash.finish(digest); }

} // namespace ferry::server::manifest
