#include "manifest.h"

#include <QCryptographicHash>

#include <algorithm>
#include <limits>

namespace ferry::client {

qint64 Manifest::chunkLength(int index) const
{
    return std::min(chunkSize, fileSize - chunkOffset(index));
}

namespace {

QByteArray bytesOf(const sha256chain::Bytes32 &bytes)
{
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

} // namespace

std::optional<sha256chain::Sha256Chain> Manifest::chainBefore(int index) const
{
    if (index == 0)
        return sha256chain::Sha256Chain();
    const QByteArray &entry = digests[size_t(index - 1)];
    if (entry.size() != DigestSize)
        return std::nullopt;
    sha256chain::Bytes32 state{};
    std::copy(entry.begin(), entry.end(), reinterpret_cast<char *>(state.data()));
    return sha256chain::Sha256Chain::resume(state, quint64(chunkOffset(index)));
}

QByteArray Manifest::chainAfter(int index, const sha256chain::Sha256Chain &chain) const
{
    if (index + 1 == chunkCount())
        return bytesOf(chain.digest());
    const auto state = chain.state();
    return state ? bytesOf(*state) : QByteArray(); // a chunk that ends inside a block matches nothing
}

QByteArray Manifest::fileSha256() const
{
    return digests.empty() ? bytesOf(sha256chain::EmptySha256) : digests.back();
}

QByteArray Manifest::rootOf(const std::vector<QByteArray> &digests)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const QByteArray &digest : digests)
        hash.addData(digest);
    return hash.result();
}

std::optional<QString> ManifestAssembler::refuse(const QString &reason)
{
    m_refused = true;
    return reason;
}

// The first page sets the header; every later one must repeat it exactly.
std::optional<QString> ManifestAssembler::checkHeader(const ManifestPageFields &page) const
{
    if (!m_started) {
        if (page.chunkSize == 0)
            return QStringLiteral("the manifest's chunk size is 0");
        if (page.chunkSize % 64 != 0)
            return QStringLiteral("the manifest's chunk size %1 is not a multiple of 64 bytes").arg(page.chunkSize);
        if (page.fileSize > quint64(std::numeric_limits<qint64>::max()))
            return QStringLiteral("the manifest's file size %1 is more than a file can have").arg(page.fileSize);
        const qint64 expected = Manifest::chunkCountFor(qint64(page.fileSize), page.chunkSize);
        if (page.chunkCount != expected)
            return QStringLiteral("the manifest's chunk count %1 does not fit a file of %2 bytes in chunks of %3")
                .arg(page.chunkCount)
                .arg(page.fileSize)
                .arg(page.chunkSize);
        if (expected > Manifest::MaxChunkCount)
            return QStringLiteral("the manifest's %1 chunks are more than the %2 a client takes")
                .arg(expected)
                .arg(Manifest::MaxChunkCount);
        if (page.root.size() != Manifest::DigestSize)
            return QStringLiteral("the manifest's root is not a SHA-256 digest");
        return std::nullopt;
    }
    if (qint64(page.fileSize) != m_manifest.fileSize || page.mtimeNs != m_manifest.mtimeNs
        || qint64(page.chunkSize) != m_manifest.chunkSize || page.chunkCount != m_chunkCount
        || page.root != m_manifest.root)
        return QStringLiteral("the manifest's pages disagree about the file");
    return std::nullopt;
}

std::optional<QString> ManifestAssembler::addPage(const ManifestPageFields &page)
{
    if (m_refused)
        return QStringLiteral("the manifest was already refused");
    if (m_complete)
        return refuse(QStringLiteral("a manifest page arrived after the last one"));
    if (auto reason = checkHeader(page))
        return refuse(*reason);
    if (!m_started) {
        m_started = true;
        m_manifest.fileSize = qint64(page.fileSize);
        m_manifest.mtimeNs = page.mtimeNs;
        m_manifest.chunkSize = page.chunkSize;
        m_manifest.root = page.root;
        m_chunkCount = page.chunkCount; // no reserve(): memory follows the digests that arrive, not a claim
    }
    const size_t have = m_manifest.digests.size();
    if (page.first != have)
        return refuse(QStringLiteral("the manifest's pages are out of order (chunk %1 where %2 was due)")
                          .arg(page.first)
                          .arg(have));
    if (page.digests.size() > m_chunkCount - have)
        return refuse(QStringLiteral("the manifest has more chunk digests than chunks"));
    for (const QByteArray &digest : page.digests) {
        if (digest.size() != Manifest::DigestSize)
            return refuse(QStringLiteral("a chunk digest of the manifest is not a SHA-256 digest"));
        m_manifest.digests.push_back(digest);
    }
    if (!page.last)
        return std::nullopt;
    if (m_manifest.digests.size() != m_chunkCount)
        return refuse(QStringLiteral("the manifest ended after %1 of %2 chunk digests")
                          .arg(m_manifest.digests.size())
                          .arg(m_chunkCount));
    if (Manifest::rootOf(m_manifest.digests) != m_manifest.root)
        return refuse(QStringLiteral("the manifest's root does not match its chunk digests"));
    m_complete = true;
    return std::nullopt;
}

} // namespace ferry::client
