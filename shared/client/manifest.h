// A file's chunk manifest (docs/PROTOCOL.md §10.5) and its assembly from MANIFEST_PAGE frames.
// Pure: no I/O, no signals; unit-tested with tables of pages.
#pragma once

#include <QByteArray>
#include <QString>

#include "sha256chain/sha256chain.h"

#include <optional>
#include <vector>

namespace ferry::client {

// What one MANIFEST_PAGE carries, independent of the codec's types so that the checks
// below are testable without a wire. Digests are raw 32-byte SHA-256 values.
struct ManifestPageFields {
    quint64 fileSize = 0;
    qint64 mtimeNs = 0;
    quint32 chunkSize = 0;
    quint32 chunkCount = 0;
    QByteArray root;
    quint32 first = 0;
    bool last = false;
    std::vector<QByteArray> digests;
};

// The whole manifest of one file: chunk i is [i * chunkSize, min(fileSize, (i + 1) * chunkSize)).
// digests[i] is chunk i's entry: the SHA-256 chain state after the file's bytes up to the chunk's
// end, the last chunk's being the file's SHA-256 (§10.5).
struct Manifest {
    static constexpr int DigestSize = 32;
    // The most chunks a manifest the client takes may have: its entries are held in memory (this many are
    // about 1 GiB) and chunks are counted in int. ferry-server serves at most 2^22 (docs/PROTOCOL.md
    // §10.5); the margin is for other servers, a claim beyond it is refused before anything is allocated.
    static constexpr qint64 MaxChunkCount = qint64(1) << 24;
    // ceil(fileSize / chunkSize) without overflow, for fileSize ≥ 0 and chunkSize > 0.
    static qint64 chunkCountFor(qint64 fileSize, qint64 chunkSize)
    {
        return fileSize / chunkSize + (fileSize % chunkSize != 0);
    }

    qint64 fileSize = 0;
    qint64 mtimeNs = 0;
    qint64 chunkSize = 0;
    QByteArray root;
    std::vector<QByteArray> digests;

    int chunkCount() const { return int(digests.size()); }
    qint64 chunkOffset(int index) const { return qint64(index) * chunkSize; }
    qint64 chunkLength(int index) const;
    // The chunk holding byte `offset` (offset < fileSize).
    int chunkAt(qint64 offset) const { return int(offset / chunkSize); }
    // SHA-256 over the concatenated chunk entries, as the server computes `root`.
    static QByteArray rootOf(const std::vector<QByteArray> &digests);
    // Where chunk `index`'s check starts: the standard initial state for chunk 0, else entry
    // index − 1 with the bytes before the chunk counted. nullopt if that entry is not 32 bytes
    // or the chunk does not start on a 64-byte block (the assembler refuses such manifests).
    std::optional<sha256chain::Sha256Chain> chainBefore(int index) const;
    // What `chain`, started at chainBefore(index) and fed the chunk's bytes, compares with entry
    // `index`: its state, or for the last chunk the finished digest.
    QByteArray chainAfter(int index, const sha256chain::Sha256Chain &chain) const;
    // The file's SHA-256 once every chunk matched its entry: the last entry (the SHA-256 of no
    // bytes for an empty file).
    QByteArray fileSha256() const;
    bool operator==(const Manifest &) const = default;
};

// Collects the pages of one MANIFEST answer and refuses, with a one-sentence reason, any
// manifest that §10.5 says a client must refuse: pages that disagree on the header, that do
// not cover 0 … chunkCount − 1 in order, a chunk size that is not a multiple of 64, a chunk
// count that does not fit the size, or a root that does not match the entries; and one no file can
// have (a size beyond 2^63 − 1) or of more than Manifest::MaxChunkCount chunks.
class ManifestAssembler
{
public:
    // nullopt when the page was taken; otherwise why the manifest is refused (the assembler
    // is then spent: every later page is refused too).
    std::optional<QString> addPage(const ManifestPageFields &page);
    bool isComplete() const { return m_complete && !m_refused; }
    // The manifest once isComplete().
    const Manifest &manifest() const { return m_manifest; }

private:
    std::optional<QString> refuse(const QString &reason);
    std::optional<QString> checkHeader(const ManifestPageFields &page) const;

    Manifest m_manifest;
    quint32 m_chunkCount = 0;
    bool m_started = false;
    bool m_complete = false;
    bool m_refused = false;
};

} // namespace ferry::client
