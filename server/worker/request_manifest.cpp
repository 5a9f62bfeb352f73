// RequestHandler, the requests answered from a file's hashes (server/manifest): MANIFEST and the DIGEST
// of a whole file, both through the manifest store, so a second request for an unchanged file reads
// the cache in the state directory instead of the file.
#include "worker/request_handler.h"

#include "base/log.h"
#include "worker/hash_progress.h"

#include <algorithm>

namespace ferry::server {

using proto::ErrorCode;

namespace {

// Digests per MANIFEST_PAGE: 512 KiB of them, half the frame limit, so a page stays far below it; a
// file up to 64 GiB is one page (PROTOCOL.md §10.8).
constexpr size_t DigestsPerPage = 16384;
static_assert(DigestsPerPage * proto::Sha256Size + 128 < proto::MaxFramePayload);

} // namespace

proto::ManifestPage manifestPage(const manifest::Manifest &manifest, size_t first, size_t perPage)
{
    proto::ManifestPage page;
    page.fileSize = manifest.stamp.size;
    page.mtimeNs = manifest.stamp.mtimeNs;
    page.chunkSize = manifest.chunkSize;
    page.chunkCount = uint32_t(manifest.chunks.size());
    page.root = manifest.root;
    page.first = uint32_t(first);
    const size_t end = std::min(manifest.chunks.size(), first + perPage);
    const auto chunks = manifest.chunks.begin();
    page.digests.assign(chunks + ptrdiff_t(std::min(first, end)), chunks + ptrdiff_t(end));
    page.last = end == manifest.chunks.size();
    return page;
}

AfterRequest RequestHandler::manifest(ClientIo &io, const proto::ManifestRequest &request)
{
    beginRequest(request.path, 0);
    Confined where; // the grant applies to manifests as to GET: one outside it is UNAUTHORIZED
    if (AfterRequest refused; !confine(io, request.path, where, refused))
        return refused;
    OpenFileRef file;
    uint64_t length = 0;
    if (AfterRequest refused; !openRange(io, request.path, where, 0, proto::ToEnd, file, length, refused))
        return refused;
    auto result = m_manifests.manifest(file->fd, hashProgress(m_slot, io, request.path));
    if (auto *problem = std::get_if<manifest::Problem>(&result))
        return hashFailed(io, "MANIFEST", request.path, *problem);
    const manifest::Manifest &answer = std::get<manifest::Answer<manifest::Manifest>>(result).value;
    static_assert(manifest::MaxChunks <= UINT32_MAX, "chunkCount is a u32 on the wire");
    size_t first = 0;
    do {
        const proto::ManifestPage page = manifestPage(answer, first, DigestsPerPage);
        if (io.sendMessage(page) != IoOutcome::Ok)
            return AfterRequest::Close;
        first += page.digests.size();
    } while (first < answer.chunks.size());
    return AfterRequest::KeepOpen;
}

AfterRequest RequestHandler::hashFailed(ClientIo &io, const char *request, const std::string &path,
                                        const manifest::Problem &problem)
{
    const std::string message = std::string(request) + " '" + path + "': " + problem.message;
    switch (problem.failure) {
    case manifest::Failure::FileChanged: return sendError(io, ErrorCode::FileChanged, message);
    case manifest::Failure::TooLarge: return sendError(io, ErrorCode::Unsupported, message);
    case manifest::Failure::ReadFailed:
    case manifest::Failure::Internal:
        LOG_WARN("%s", message.c_str());
        return sendError(io, ErrorCode::Internal, message);
    case manifest::Failure::Aborted: return AfterRequest::Close; // the client or the parent stopped it
    }
    return AfterRequest::Close;
}

AfterRequest RequestHandler::wholeDigest(ClientIo &io, const std::string &path, const OpenFile &file)
{
    auto result = m_manifests.wholeDigest(file.fd, hashProgress(m_slot, io, path));
    if (auto *problem = std::get_if<manifest::Problem>(&result))
        return hashFailed(io, "DIGEST", path, *problem);
    const manifest::Digest &digest = std::get<manifest::Answer<manifest::WholeDigest>>(result).value.digest;
    proto::DigestReply reply{proto::DigestAlgo::Sha256, std::string(digest.begin(), digest.end())};
    return io.sendMessage(reply) == IoOutcome::Ok ? AfterRequest::KeepOpen : AfterRequest::Close;
}

} // namespace ferry::server
