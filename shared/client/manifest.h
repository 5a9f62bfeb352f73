// A file's chunk manifest (docs/PROTOCOL.md §10.5) and its assembly from MANIFEST_PAGE frames.
// Pure: no I/O, no signals; unit-tested with tables of pages.
#pragma once

#include <QByteArray>
#include <QString>

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
struct Manifest {
    static constexpr int DigestSize = 32;

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
    // SHA-256 over the concatenated chunk digests, as the server computes `root`.
    static QByteArray rootOf(const std::vector<QByteArray> &digests);
    bool operator==(const Manifest &) const = default;
};

// Collects the pages of one MANIFEST answer and refuses, with a one-sentence reason, any
// manifest that §10.5 says a client must refuse: pages that disagree on the header, that do
// not cover 0 … chunkCount − 1 in order, a chunk count that does not fit the size, or a root
// that does not match the digests.
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
