#include "manifest/manifest_store.h"

#include "manifest/hash_task.h"

#include <ctime>

namespace ferry::server::manifest {

namespace {

// Drives `task` to its end, a piece per advance(), calling `progress` after each piece and, with 0,
// each time it finds another worker computing the same answer (then it sleeps before the next try).
std::optional<Problem> runToEnd(HashTask &task, const UniqueFd &file, const Progress &progress)
{
    for (;;) {
        switch (task.advance(file, 0)) {
        case HashTask::Step::Done:
            if (const Problem *problem = task.problem())
                return *problem;
            return std::nullopt;
        case HashTask::Step::Waiting: {
            if (!progress(0))
                return Problem{Failure::Aborted, "stopped while another worker was hashing the file"};
            const timespec pause{0, long(StampedCache::LockRetryNs)};
            nanosleep(&pause, nullptr);
            break;
        }
        case HashTask::Step::Hashing:
            if (!progress(task.hashed()))
                return Problem{Failure::Aborted, "hashing was stopped"};
            break;
        }
    }
}

} // namespace

Result<Answer<Manifest>> ManifestStore::manifest(const UniqueFd &file, const Progress &progress) const
{
    HashTask task(*this, HashKind::Manifest);
    if (std::optional<Problem> failed = runToEnd(task, file, progress))
        return *failed;
    return Answer<Manifest>{task.takeManifest(), task.isFromCache()};
}

Result<Answer<WholeDigest>> ManifestStore::wholeDigest(const UniqueFd &file, const Progress &progress) const
{
    HashTask task(*this, HashKind::WholeDigest);
    if (std::optional<Problem> failed = runToEnd(task, file, progress))
        return *failed;
    return Answer<WholeDigest>{task.wholeDigest(), task.isFromCache()};
}

} // namespace ferry::server::manifest
