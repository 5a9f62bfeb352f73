// Manifest entries (docs/PROTOCOL.md §10.5) for tests: what a correct server sends for some bytes, and
// a check of one entry that does not trust the chain code alone. Link ferry-sha256chain to use it.
#pragma once

#include "sha256chain/sha256chain.h"

#include <QByteArray>
#include <QCryptographicHash>

#include <algorithm>
#include <vector>

namespace ferrytest {

inline QByteArray entryBytes(const ferry::sha256chain::Bytes32 &bytes)
{
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

// The entries of `content` in chunks of `chunkSize` (a multiple of 64): the SHA-256 state at the end
// of each chunk, the last chunk's the file's SHA-256.
inline std::vector<QByteArray> chainEntries(const QByteArray &content, qint64 chunkSize)
{
    std::vector<QByteArray> entries;
    ferry::sha256chain::Sha256Chain chain;
    for (qint64 at = 0; at < content.size(); at += chunkSize) {
        const qint64 length = std::min(chunkSize, content.size() - at);
        chain.update(content.constData() + at, size_t(length));
        const bool last = at + length == content.size();
        entries.push_back(last ? entryBytes(chain.digest()) : entryBytes(chain.state().value()));
    }
    return entries;
}

// Whether `entry` is the SHA-256 state after the first `end` bytes of `content`: continued over the
// rest, it must give the SHA-256 of all of it as Qt computes it. (The last entry is compared with
// Qt's SHA-256 directly.)
inline bool isStateAt(const QByteArray &entry, const QByteArray &content, qint64 end)
{
    if (end == content.size())
        return entry == QCryptographicHash::hash(content, QCryptographicHash::Sha256);
    ferry::sha256chain::Bytes32 state{};
    if (entry.size() != qsizetype(state.size()))
        return false;
    std::copy(entry.begin(), entry.end(), reinterpret_cast<char *>(state.data()));
    auto chain = ferry::sha256chain::Sha256Chain::resume(state, quint64(end));
    if (!chain)
        return false;
    chain->update(content.constData() + end, size_t(content.size() - end));
    return entryBytes(chain->digest()) == QCryptographicHash::hash(content, QCryptographicHash::Sha256);
}

} // namespace ferrytest
