// Manifest pages as a correct server sends them, for the verified-download unit suites
// (tst_clientmanifestassembly, tst_clientchunkmap).
#pragma once

#include "chainentries.h"

#include "client/manifest.h"

#include <QByteArray>

#include <optional>
#include <vector>

namespace clienttest {

using namespace ferry::client;


// The pages a correct server sends for `content`, `perPage` digests to a page.
inline std::vector<ManifestPageFields> pagesFor(const QByteArray &content, quint32 chunkSize, int perPage)
{
    const std::vector<QByteArray> digests = ferrytest::chainEntries(content, chunkSize);
    ManifestPageFields header;
    header.fileSize = quint64(content.size());
    header.mtimeNs = 1700000000123456789;
    header.chunkSize = chunkSize;
    header.chunkCount = quint32(digests.size());
    header.root = Manifest::rootOf(digests);
    std::vector<ManifestPageFields> pages;
    size_t first = 0;
    do {
        ManifestPageFields page = header;
        page.first = quint32(first);
        const size_t count = std::min(digests.size() - first, size_t(perPage));
        page.digests.assign(digests.begin() + qsizetype(first), digests.begin() + qsizetype(first + count));
        first += count;
        page.last = first == digests.size();
        pages.push_back(page);
    } while (first < digests.size());
    return pages;
}

inline std::optional<QString> assemble(const std::vector<ManifestPageFields> &pages, ManifestAssembler &assembler)
{
    for (const ManifestPageFields &page : pages) {
        if (auto refused = assembler.addPage(page))
            return refused;
    }
    return std::nullopt;
}

} // namespace clienttest
