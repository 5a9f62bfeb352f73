#include "manifest/hash_task.h"

#include "base/clock.h"
#include "base/log.h"
#include "manifest/manifest_codec.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace ferry::server::manifest {

HashTask::HashTask(const ManifestStore &store, HashKind kind, uint64_t offset, uint64_t length)
    : m_store(store), m_kind(kind), m_offset(offset), m_length(length)
{
}

HashTask::Step HashTask::advance(const UniqueFd &file, int64_t untilNs)
{
    switch (m_phase) {
    case Phase::Lookup: {
        const Step step = lookup(file);
        return m_phase == Phase::Hash ? hash(file, untilNs) : step;
    }
    case Phase::Lock: {
        const Step step = lock(file);
        return m_phase == Phase::Hash ? hash(file, untilNs) : step;
    }
    case Phase::Hash: return hash(file, untilNs);
    case Phase::Done: return Step::Done;
    }
    return Step::Done;
}

HashTask::Step HashTask::lookup(const UniqueFd &file)
{
    struct stat info {};
    if (fstat(file.get(), &info) != 0)
        return fail(Problem{Failure::ReadFailed, std::string("fstat(): ") + std::strerror(errno)});
    m_stamp = stampOf(info);
    m_fits = m_store.chunkSize() != 0 && chunkCountFor(m_stamp.size, m_store.chunkSize()) <= MaxChunks;
    if (m_kind == HashKind::Range) { // a range is read as it is, as a GET is: no stamp to hold it to
        m_hash = FileHash{m_stamp, FileHasher(m_offset, m_length, 0)};
        m_phase = Phase::Hash;
        return Step::Hashing;
    }
    if (!m_store.cache())
        return start(file);
    if (loadCached())
        return Step::Done;
    m_phase = Phase::Lock;
    return lock(file);
}

HashTask::Step HashTask::lock(const UniqueFd &file)
{
    std::string why;
    m_lock = m_store.cache()->tryLock(cacheKind(), m_stamp, why);
    if (!m_lock && why.empty())
        return Step::Waiting;
    if (!m_lock)
        LOG_WARN("manifest cache: %s; hashing without it", why.c_str());
    else if (loadCached()) // whoever held the lock has probably just stored what we want
        return Step::Done;
    return start(file);
}

HashTask::Step HashTask::start(const UniqueFd &file)
{
    Result<FileHash> started = startFileHash(file, viaManifest() ? m_store.chunkSize() : 0);
    if (auto *failed = std::get_if<Problem>(&started))
        return fail(std::move(*failed));
    m_hash = std::move(std::get<FileHash>(started));
    m_phase = Phase::Hash;
    return Step::Hashing;
}

HashTask::Step HashTask::hash(const UniqueFd &file, int64_t untilNs)
{
    FileHasher &hasher = m_hash->hasher;
    do {
        if (auto failed = hasher.step(file))
            return fail(std::move(*failed));
    } while (!hasher.isDone() && monotonicNs() < untilNs);
    return hasher.isDone() ? finish(file) : Step::Hashing;
}

HashTask::Step HashTask::finish(const UniqueFd &file)
{
    if (viaManifest()) {
        Result<Manifest> made = finishManifest(file, *m_hash);
        if (auto *failed = std::get_if<Problem>(&made))
            return fail(std::move(*failed));
        store(std::get<Manifest>(made).stamp, encodeManifest(std::get<Manifest>(made)));
        return answerFrom(std::move(std::get<Manifest>(made)));
    }
    Result<WholeDigest> made = WholeDigest{m_hash->stamp, {}};
    if (m_kind == HashKind::WholeDigest)
        made = finishWholeDigest(file, *m_hash);
    else if (!m_hash->hasher.finish(std::get<WholeDigest>(made).digest)) // a range: not held to a stamp
        made = Problem{Failure::Internal, "SHA-256 failed"};
    if (auto *failed = std::get_if<Problem>(&made))
        return fail(std::move(*failed));
    m_result = std::get<WholeDigest>(made);
    if (m_kind == HashKind::WholeDigest)
        store(wholeDigest().stamp, encodeDigest(wholeDigest().digest));
    m_lock.reset(); // after the store: a worker waiting for the lock finds the entry
    m_phase = Phase::Done;
    return Step::Done;
}

HashTask::Step HashTask::answerFrom(Manifest manifest)
{
    if (m_kind == HashKind::Manifest) {
        m_result = std::move(manifest);
    } else {
        WholeDigest whole;
        if (!wholeDigestOf(manifest, whole))
            return fail(Problem{Failure::Internal, "SHA-256 failed"});
        m_result = whole;
    }
    m_lock.reset(); // after the store: a worker waiting for the lock finds the entry
    m_phase = Phase::Done;
    return Step::Done;
}

bool HashTask::loadCached()
{
    const std::optional<std::string> payload = m_store.cache()->load(cacheKind(), m_stamp);
    if (!payload)
        return false;
    if (viaManifest()) {
        std::optional<Manifest> cached = decodeManifest(*payload, m_stamp, m_store.chunkSize());
        if (!cached)
            return false;
        answerFrom(std::move(*cached));
        m_fromCache = !problem();
        return true;
    }
    std::optional<Digest> cached = decodeDigest(*payload);
    if (!cached)
        return false;
    m_result = WholeDigest{m_stamp, *cached};
    m_fromCache = true;
    m_phase = Phase::Done;
    return true;
}

// Under the stamp the hash was made for (taken as it started), which is not always lookup()'s.
void HashTask::store(const FileStamp &stamp, const std::string &payload)
{
    if (!m_store.cache())
        return;
    std::string why;
    if (!m_store.cache()->store(cacheKind(), stamp, payload, why)) // the answer stands; only the cache missed it
        LOG_WARN("manifest cache: %s", why.c_str());
}

HashTask::Step HashTask::fail(Problem problem)
{
    m_result = std::move(problem);
    m_hash.reset(); // its buffer and contexts go now, not with the task
    m_lock.reset();
    m_phase = Phase::Done;
    return Step::Done;
}

} // namespace ferry::server::manifest
