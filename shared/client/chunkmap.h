// Which chunks of a verified download are done, being fetched, or still missing. Pure.
#pragma once

#include <QString>

#include <optional>
#include <vector>

namespace ferry::client {

// A run of consecutive chunks: [first, first + count).
struct ChunkRange {
    int first = 0;
    int count = 0;
    int end() const { return first + count; }
    bool operator==(const ChunkRange &) const = default;
};

// The bookkeeping of a chunk-granular download. A chunk is Missing until a segment
// claims it (Fetching); its bytes on disk then wait for their digest (Hashing), which
// either verifies it (Verified, for good) or sends it back to Missing to be fetched
// again, at most MaxRefetches times. Only Verified chunks are ever persisted, so a
// crash at any moment loses at most the chunks that were in flight.
class ChunkMap
{
public:
    enum class ChunkState : unsigned char { Missing, Fetching, Hashing, Verified };
    // A chunk that fails its digest this many times more is given up on: the source
    // keeps serving it damaged, and fetching it forever would hide that.
    static constexpr int MaxRefetches = 3;

    explicit ChunkMap(int count = 0);

    int count() const { return int(m_states.size()); }
    ChunkState state(int index) const { return m_states[size_t(index)]; }
    int verifiedCount() const { return m_verified; }
    bool isComplete() const { return m_verified == count(); }
    // Whether some chunk is still Missing (claimable), and how many. O(count()).
    bool hasMissing() const;
    int missingCount() const;

    // Claims the first run of Missing chunks, at most `maxCount` long, as Fetching.
    std::optional<ChunkRange> claim(int maxCount);
    // Claims the Missing chunks from `first` on (at most `maxCount`), or nothing when
    // chunk `first` is not Missing: a segment continuing where it was.
    std::optional<ChunkRange> claimAt(int first, int maxCount);
    // A segment stopped (connection lost, paused): its chunks not yet hashed go back to Missing.
    void release(const ChunkRange &range);
    // All of chunk `index` is on disk; its digest is being computed.
    void markArrived(int index);
    void markVerified(int index);
    // A chunk re-checked from disk on resume that did not match: Missing again, and not
    // counted as a failure (nothing was fetched yet).
    void markMissing(int index);
    // The chunk's digest did not match: back to Missing. False when it has now failed
    // more than MaxRefetches times (the caller gives up on the file).
    [[nodiscard]] bool markBad(int index);
    int failures(int index) const { return m_failures[size_t(index)]; }

    // The verified chunks as a run list, "0-41,43,45-60" ("" for none): compact for a
    // mostly-contiguous set, and readable in the .part metadata.
    QString verifiedRuns() const;
    // Marks the chunks a run list names Verified. False (and nothing changed) when the
    // text is malformed, names a chunk beyond count(), or its runs are not in ascending order
    // without overlap (as verifiedRuns() writes them).
    bool setVerifiedRuns(const QString &runs);

private:
    std::vector<ChunkState> m_states;
    std::vector<int> m_failures;
    int m_verified = 0;
};

} // namespace ferry::client
