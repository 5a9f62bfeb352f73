#include "worker/digest.h"

#include "base/syscall.h"
#include "manifest/file_hasher.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <unistd.h>
#include <vector>

namespace ferry::server {

namespace {

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// OpenSSL's reason for the last failure, for the worker's log and the INTERNAL error.
std::string openSslError(const char *call)
{
    char text[256] = "unknown error";
    if (const unsigned long code = ERR_get_error())
        ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return std::string(call) + "(): " + text;
}

} // namespace

manifest::Result<Sha256Sum> sha256Range(const UniqueFd &file, uint64_t offset, uint64_t length, WorkerSlot &slot,
                                        const std::function<bool()> &shouldAbort)
{
    using manifest::Failure;
    using manifest::Problem;
    // libcrypto picks the CPU's SHA instructions (SHA-NI, ARMv8 SHA2) when it has them: a DIGEST
    // holds its worker for as long as it runs, so the hash's speed is the worker's availability.
    DigestContext context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1)
        return Problem{Failure::Internal, openSslError("EVP_DigestInit_ex")};
    constexpr size_t Chunk = 256 * 1024; // between chunks: progress in the scoreboard, and aborts honoured
    std::vector<uint8_t> buffer(Chunk);
    uint64_t done = 0;
    while (done < length) {
        if (shouldAbort())
            return Problem{Failure::Aborted, "aborted"};
        const size_t want = size_t(std::min<uint64_t>(Chunk, length - done));
        const ssize_t got = retryOnEintr([&] { return pread(file.get(), buffer.data(), want, off_t(offset + done)); });
        if (got == 0) // the file ended before the length taken from its size: it shrank
            return Problem{Failure::FileChanged, manifest::FileShrankText};
        if (got < 0) // an I/O error is not a changed file
            return Problem{Failure::ReadFailed, std::string("pread(): ") + std::strerror(errno)};
        if (EVP_DigestUpdate(context.get(), buffer.data(), size_t(got)) != 1)
            return Problem{Failure::Internal, openSslError("EVP_DigestUpdate")};
        done += uint64_t(got);
        slot.bytesSent.store(done, std::memory_order_relaxed);
        slot.lastProgressNs.store(monotonicNs(), std::memory_order_relaxed);
    }
    Sha256Sum digest{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(context.get(), digest.data(), &size) != 1 || size != digest.size())
        return Problem{Failure::Internal, openSslError("EVP_DigestFinal_ex")};
    return digest;
}

} // namespace ferry::server
