#include "chunkmap.h"

#include <QStringList>

#include <algorithm>

namespace ferry::client {

ChunkMap::ChunkMap(int count) : m_states(size_t(std::max(count, 0)), ChunkState::Missing), m_failures(m_states.size())
{
}

bool ChunkMap::hasMissing() const
{
    return std::find(m_states.begin(), m_states.end(), ChunkState::Missing) != m_states.end();
}

int ChunkMap::missingCount() const
{
    return int(std::count(m_states.begin(), m_states.end(), ChunkState::Missing));
}

std::optional<ChunkRange> ChunkMap::claim(int maxCount)
{
    const auto it = std::find(m_states.begin(), m_states.end(), ChunkState::Missing);
    if (it == m_states.end())
        return std::nullopt;
    return claimAt(int(it - m_states.begin()), maxCount);
}

std::optional<ChunkRange> ChunkMap::claimAt(int first, int maxCount)
{
    if (first < 0 || first >= count() || maxCount < 1 || state(first) != ChunkState::Missing)
        return std::nullopt;
    ChunkRange range{first, 0};
    while (range.end() < count() && range.count < maxCount && state(range.end()) == ChunkState::Missing) {
        m_states[size_t(range.end())] = ChunkState::Fetching;
        ++range.count;
    }
    return range;
}

void ChunkMap::release(const ChunkRange &range)
{
    for (int i = range.first; i < range.end() && i < count(); ++i) {
        if (m_states[size_t(i)] == ChunkState::Fetching)
            m_states[size_t(i)] = ChunkState::Missing;
    }
}

void ChunkMap::markArrived(int index)
{
    if (state(index) == ChunkState::Fetching)
        m_states[size_t(index)] = ChunkState::Hashing;
}

void ChunkMap::markVerified(int index)
{
    if (state(index) == ChunkState::Verified)
        return;
    m_states[size_t(index)] = ChunkState::Verified;
    ++m_verified;
}

void ChunkMap::markMissing(int index)
{
    if (state(index) == ChunkState::Verified)
        --m_verified;
    m_states[size_t(index)] = ChunkState::Missing;
}

bool ChunkMap::markBad(int index)
{
    markMissing(index);
    return ++m_failures[size_t(index)] <= MaxRefetches;
}

QString ChunkMap::verifiedRuns() const
{
    QStringList runs;
    for (int i = 0; i < count();) {
        if (state(i) != ChunkState::Verified) {
            ++i;
            continue;
        }
        int end = i;
        while (end + 1 < count() && state(end + 1) == ChunkState::Verified)
            ++end;
        runs << (end == i ? QString::number(i) : QStringLiteral("%1-%2").arg(i).arg(end));
        i = end + 1;
    }
    return runs.join(u',');
}

bool ChunkMap::setVerifiedRuns(const QString &runs)
{
    // Runs in ascending order without overlap, as verifiedRuns() writes them: then the work is at most
    // one step per chunk, where a damaged text repeating "0-N" thousands of times (the .part metadata it
    // comes from may be anything) would cost time and memory per chunk per run.
    std::vector<ChunkRange> ranges;
    for (const QString &run : runs.split(u',', Qt::SkipEmptyParts)) {
        const QStringList ends = run.split(u'-');
        bool okFirst = false;
        bool okLast = ends.size() == 1;
        const int first = ends.value(0).toInt(&okFirst);
        const int last = ends.size() == 2 ? ends[1].toInt(&okLast) : first;
        if (!okFirst || !okLast || ends.size() > 2 || first < 0 || last < first || last >= count()
            || (!ranges.empty() && first < ranges.back().end()))
            return false;
        ranges.push_back({first, last - first + 1});
    }
    for (const ChunkRange &range : ranges) {
        for (int i = range.first; i < range.end(); ++i)
            markVerified(i);
    }
    return true;
}

} // namespace ferry::client
