// libFuzzer target: what the client makes of a server's MANIFEST answer (shared/client/manifest.cpp), the
// part of a server's answers the protocol decoder (fuzz-decoder) leaves to the client: whether the pages of
// a manifest fit together into a manifest the download may trust. The input, after a flags byte:
//   the first page's header: fileSize u64, mtimeNs i64, chunkSize u32, chunkCount u32 (big-endian), and a
//   32-byte root unless flag 1 asks for the root the digests below make (so whole manifests are reachable);
//   then pages, each a byte (0x80: the last page, low 7 bits: how many digests), a byte that, when not 0,
//   changes one field of this page's header, a u32 `first` unless flag 2 asks for the next index due,
//   and the digests, 32 bytes each.
// Checked on every input besides the sanitizers' own checks: a refusal gives a reason and spends the
// assembler; a manifest it completes describes a file (size ≥ 0, chunk size a multiple of 64, as many
// 32-byte entries as the size needs and no more than Manifest::MaxChunkCount, a root that matches them,
// chunks that tile the file and each start where a chain state exists) — and memory stays within what the
// pages carried, whatever the header claims.
// Seeds: tests/fuzz/client-answers-seeds (the manifests of docs/PROTOCOL.md's vectors).
#include "client/manifest.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace ferry::client;

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz_client_answers: %s\n", what);
    std::abort();
}

class Reader
{
public:
    Reader(const uint8_t *data, size_t size) : m_data(data), m_size(size) {}
    bool has(size_t n) const { return m_size - m_at >= n; }
    uint64_t take(size_t bytes) // big-endian; 0 past the end
    {
        uint64_t value = 0;
        for (size_t i = 0; i < bytes; ++i)
            value = value << 8 | (m_at < m_size ? m_data[m_at++] : 0);
        return value;
    }
    QByteArray bytes(size_t n)
    {
        const size_t n0 = std::min(n, m_size - m_at);
        const QByteArray out(reinterpret_cast<const char *>(m_data + m_at), qsizetype(n0));
        m_at += n0;
        return out;
    }

private:
    const uint8_t *m_data;
    size_t m_size;
    size_t m_at = 0;
};

void tweak(ManifestPageFields &page, uint8_t how)
{
    switch (how % 5) {
    case 0: page.fileSize ^= how; break;
    case 1: page.mtimeNs ^= how; break;
    case 2: page.chunkSize ^= how; break;
    case 3: page.chunkCount ^= how; break;
    case 4: page.root[0] = char(page.root[0] ^ how); break;
    }
}

void checkManifest(const Manifest &manifest)
{
    if (manifest.fileSize < 0 || manifest.chunkSize <= 0 || manifest.chunkSize % 64 != 0)
        violated("a manifest taken with a negative size or a chunk size not a multiple of 64");
    const qint64 needed = manifest.fileSize / manifest.chunkSize + (manifest.fileSize % manifest.chunkSize != 0);
    if (manifest.chunkCount() != needed || manifest.chunkCount() > Manifest::MaxChunkCount)
        violated("a manifest taken whose entries do not fit its file");
    if (Manifest::rootOf(manifest.digests) != manifest.root || manifest.fileSha256().size() != Manifest::DigestSize)
        violated("a manifest taken whose root does not match its entries");
    qint64 covered = 0;
    for (int i = 0; i < manifest.chunkCount(); ++i) {
        if (manifest.digests[size_t(i)].size() != Manifest::DigestSize)
            violated("a manifest taken with an entry that is not a SHA-256 digest");
        if (manifest.chunkOffset(i) != covered || manifest.chunkLength(i) <= 0 || !manifest.chainBefore(i))
            violated("a manifest's chunks do not tile the file, or one starts inside a block");
        covered += manifest.chunkLength(i);
    }
    if (covered != manifest.fileSize)
        violated("a manifest's chunks do not cover the file");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Reader in(data, size);
    const uint64_t flags = in.take(1);
    ManifestPageFields header;
    header.fileSize = in.take(8);
    header.mtimeNs = qint64(in.take(8));
    header.chunkSize = quint32(in.take(4));
    header.chunkCount = quint32(in.take(4));
    header.root = (flags & 1) ? QByteArray() : in.bytes(32).leftJustified(32, '\0');

    std::vector<ManifestPageFields> pages;
    std::vector<QByteArray> sent;
    while (in.has(2) && pages.size() < 64) {
        ManifestPageFields page = header;
        const uint8_t shape = uint8_t(in.take(1)), change = uint8_t(in.take(1));
        page.last = shape & 0x80;
        page.first = (flags & 2) ? quint32(sent.size()) : quint32(in.take(4));
        for (int i = 0; i < (shape & 0x7f) && in.has(32); ++i)
            page.digests.push_back(in.bytes(32));
        sent.insert(sent.end(), page.digests.begin(), page.digests.end());
        pages.push_back(page);
        pages.back().root = QByteArray(1, char(change)); // where to apply `change`, once the root is known
    }
    const QByteArray root = (flags & 1) ? Manifest::rootOf(sent) : header.root;
    ManifestAssembler assembler;
    bool refused = false;
    for (ManifestPageFields &page : pages) {
        const uint8_t change = uint8_t(page.root[0]);
        page.root = root;
        if (change != 0)
            tweak(page, change);
        const std::optional<QString> reason = assembler.addPage(page);
        if (reason && reason->isEmpty())
            violated("a manifest page refused without a reason");
        if (refused && !reason)
            violated("a page taken after the manifest was refused");
        refused = refused || reason.has_value();
    }
    if (assembler.isComplete()) {
        if (refused)
            violated("a refused manifest counts as complete");
        checkManifest(assembler.manifest());
    }
    return 0;
}
