#include "worker/digest.h"

#include "worker/sha256.h"
#include "base/syscall.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <vector>

namespace ferry::server {

std::optional<std::array<uint8_t, 32>> sha256Range(const UniqueFd &file, uint64_t offset, uint64_t length,
                                                   WorkerSlot &slot, const std::function<bool()> &shouldAbort,
                                                   std::string &why)
{
    constexpr size_t Chunk = 256 * 1024;
    std::vector<uint8_t> buffer(Chunk);
    Sha256 hash;
    uint64_t done = 0;
    while (done < length) {
        if (shouldAbort()) {
            why = "aborted";
            return std::nullopt;
        }
        size_t want = size_t(std::min<uint64_t>(Chunk, length - done));
        const ssize_t got = retryOnEintr([&] { return pread(file.get(), buffer.data(), want, off_t(offset + done)); });
        if (got <= 0) {
            why = got == 0 ? "the file changed while it was being read" : std::string("pread(): ") + std::strerror(errno);
            return std::nullopt;
        }
        hash.update(buffer.data(), size_t(got));
        done += uint64_t(got);
        slot.bytesSent.store(done, std::memory_order_relaxed);
        slot.lastProgressNs.store(monotonicNs(), std::memory_order_relaxed);
    }
    return hash.finish();
}

} // namespace ferry::server
