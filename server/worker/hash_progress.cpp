#include "worker/hash_progress.h"

#include "base/clock.h"
#include "base/log.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace ferry::server {

namespace {

#ifdef FERRY_TEST_HOOKS
// Test builds only (FERRY_TEST_HOOKS, see worker.cpp; the server-only build has none). Both run when a
// request starts hashing, i.e. never for an answer from the cache:
// FERRY_TEST_HASH_LOG=<file> appends "<pid> <path>" to <file>, so a test counts how often a file was read;
// FERRY_TEST_HASH_PAUSE=<file> then creates <file> and waits (at most 30 s) until the test removes it, so
// a test can change the file, or send a second request, while the hash is known to be under way.
void hashingStarted(const std::string &path)
{
    if (const char *log = std::getenv("FERRY_TEST_HASH_LOG")) {
        const std::string line = std::to_string(getpid()) + " " + path + "\n";
        UniqueFd fd(open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
        if (!fd || write(fd.get(), line.data(), line.size()) != ssize_t(line.size()))
            LOG_WARN("FERRY_TEST_HASH_LOG %s: cannot append", log);
    }
    if (const char *pause = std::getenv("FERRY_TEST_HASH_PAUSE")) {
        UniqueFd(open(pause, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)).reset();
        for (int waited = 0; waited < 3000 && access(pause, F_OK) == 0; ++waited) {
            const timespec tick{0, 10'000'000};
            nanosleep(&tick, nullptr);
        }
    }
}
#endif

} // namespace

size_t digestsPerPage(size_t usual)
{
#ifdef FERRY_TEST_HOOKS
    // FERRY_TEST_MANIFEST_PAGE_DIGESTS=<n> (test builds only): n digests per MANIFEST_PAGE, so a test
    // sees a many-page answer without a 64 GiB file.
    if (const char *wanted = std::getenv("FERRY_TEST_MANIFEST_PAGE_DIGESTS"); wanted && std::atoi(wanted) > 0)
        return std::min(usual, size_t(std::atoi(wanted)));
#endif
    return usual;
}

void noteHashingStarted([[maybe_unused]] const std::string &path)
{
#ifdef FERRY_TEST_HOOKS
    hashingStarted(path);
#endif
}

manifest::Progress hashProgress(WorkerSlot &slot, ClientIo &io, const std::string &path)
{
    auto started = std::make_shared<bool>(false), handedOff = std::make_shared<bool>(false);
    return [&slot, &io, path, started, handedOff](uint64_t done) {
        // Called only when the answer is not in the cache: hashing (done > 0) or waiting for the worker
        // that hashes (0). Either may take long, so the worker's other connections go back to the parent
        // now; an answer from the cache never disturbs them.
        if (!*handedOff) {
            *handedOff = true;
            io.beginLongWork();
        }
#ifdef FERRY_TEST_HOOKS
        if (done > 0 && !*started)
            hashingStarted(path);
#endif
        *started = *started || done > 0;
        slot.bytesSent.store(done, std::memory_order_relaxed);
        slot.lastProgressNs.store(monotonicNs(), std::memory_order_relaxed);
        return !io.shouldAbort();
    };
}

manifest::ManifestStore openManifestStore(const WorkerManifests &manifests)
{
    if (manifests.cacheDir.empty())
        return manifest::ManifestStore(std::nullopt);
    std::string why;
    std::optional<manifest::StampedCache> cache =
        manifest::StampedCache::open(manifests.cacheDir, manifests.cacheBytes, why);
    if (!cache)
        LOG_WARN("manifest cache off in this worker: %s", why.c_str());
    return manifest::ManifestStore(std::move(cache));
}

} // namespace ferry::server
