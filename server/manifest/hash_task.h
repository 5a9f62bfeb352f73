// The work behind one MANIFEST, whole-file DIGEST or range DIGEST, as a state machine its caller drives
// a piece at a time: look in the store's cache; take the file's lock there (another worker computing
// the same answer holds it: wait, then read what it stored); hash; store. ManifestStore's blocking
// calls drive it in a loop; a TLS worker drives it a piece per loop turn (worker/hash_answer.h), so
// its other connections are served between pieces.
#pragma once

#include "manifest/file_hasher.h"
#include "manifest/manifest_store.h"

#include <cstdint>
#include <optional>
#include <variant>

namespace ferry::server::manifest {

enum class HashKind {
    Manifest,    // through the cache
    WholeDigest, // through the cache, from the file's manifest (its last entry): one read makes both
    Range,       // the SHA-256 of a byte range, never cached
};

class HashTask {
public:
    enum class Step {
        Hashing, // the file is being read: call again
        Waiting, // another process computes this answer: call again after StampedCache::LockRetryNs
        Done,    // the answer, or the problem, is ready
    };
    // `store` is borrowed and must outlive the task. `offset` and `length` only for Range.
    HashTask(const ManifestStore &store, HashKind kind, uint64_t offset = 0, uint64_t length = 0);

    // Does what is due now on the open regular file `file` (the same one at each call): at most one
    // cache lookup and one try of the lock, then pieces of the hash until `untilNs` has passed (at
    // least one; 0 for exactly one). O(1) calls to the cache, never a wait.
    [[nodiscard]] Step advance(const UniqueFd &file, int64_t untilNs);
    // Bytes hashed so far, and of how many (0 until the cache missed).
    uint64_t hashed() const { return m_hash ? m_hash->hasher.hashed() : 0; }
    uint64_t total() const { return m_hash ? m_hash->hasher.length() : 0; }
    // Whether the answer is made from the file (a miss in the cache), not read from the cache.
    bool isReading() const { return m_hash.has_value(); }

    // After Done: the problem, if any (FileChanged, TooLarge, ReadFailed, Internal).
    const Problem *problem() const { return std::get_if<Problem>(&m_result); }
    bool isFromCache() const { return m_fromCache; }
    // After Done without a problem: the manifest (Manifest), or the digest (WholeDigest, Range).
    const Manifest &manifest() const { return std::get<Manifest>(m_result); }
    Manifest takeManifest() { return std::move(std::get<Manifest>(m_result)); }
    const WholeDigest &wholeDigest() const { return std::get<WholeDigest>(m_result); }

private:
    enum class Phase { Lookup, Lock, Hash, Done };
    Step lookup(const UniqueFd &file);
    Step lock(const UniqueFd &file);
    Step start(const UniqueFd &file);
    Step hash(const UniqueFd &file, int64_t untilNs);
    Step finish(const UniqueFd &file);
    // Whether the task makes (or reads) the file's manifest: a MANIFEST, and a whole-file DIGEST unless
    // the file has more chunks than a manifest may (then a plain SHA-256, in an entry of its own).
    bool viaManifest() const { return m_kind == HashKind::Manifest || (m_kind == HashKind::WholeDigest && m_fits); }
    const char *cacheKind() const { return viaManifest() ? "manifest" : "sha256"; }
    // The cached answer for the file as stamped, into m_result; false if there is none.
    bool loadCached();
    // The answer for the kind asked, from the manifest made or read.
    Step answerFrom(Manifest manifest);
    void store(const FileStamp &stamp, const std::string &payload);
    Step fail(Problem problem);

    const ManifestStore &m_store;
    HashKind m_kind;
    uint64_t m_offset;
    uint64_t m_length;
    Phase m_phase = Phase::Lookup;
    FileStamp m_stamp;
    std::optional<StampedCache::KeyLock> m_lock; // held from the miss until the answer is stored
    std::optional<FileHash> m_hash;
    std::variant<std::monostate, Problem, Manifest, WholeDigest> m_result;
    bool m_fromCache = false;
    bool m_fits = true; // the file's chunks are within MaxChunks (set by lookup())
};

} // namespace ferry::server::manifest
