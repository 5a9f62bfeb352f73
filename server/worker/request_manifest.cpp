// RequestHandler, the requests answered from a file's hashes (server/manifest): MANIFEST and the DIGEST
// of a whole file, both through the manifest store, so a second request for an unchanged file reads
// the cache in the state directory instead of the file. A plaintext connection hashes at once, its
// worker's other connections handed back to the parent first; a TLS one in turns (hash_answer.h), and
// so does a plaintext one while its worker holds TLS connections (ClientIo::keepsUnsent()).
#include "worker/request_handler.h"

#include "base/log.h"
#include "worker/hash_answer.h"
#include "worker/hash_progress.h"

#include <algorithm>

namespace ferry::server {

using proto::ErrorCode;

proto::ManifestPage manifestPage(const manifest::Manifest &manifest, size_t first, size_t perPage)
{
    proto::ManifestPage page;
    page.fileSize = manifest.stamp.size;
    page.mtimeNs = manifest.stamp.mtimeNs;
    page.chunkSize = manifest.chunkSize;
    page.chunkCount = uint32_t(manifest.chunks.size());
    page.root = manifest.root;
    page.first = uint32_t(first);
    const size_t end = std::min(manifest.chunks.size(), first + digestsPerPage(perPage));
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
    if (io.keepsUnsent())
        return answerInTurns(io, manifest::HashTask(m_manifests, manifest::HashKind::Manifest), file, "MANIFEST",
                             request.path, length);
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
    const std::optional<proto::Error> error = hashError(request, path, problem);
    if (!error) { // the client or the parent stopped it: no answer, as when a hash made in turns stops
        m_outcome.result = audit::InterruptedResult;
        return AfterRequest::Close;
    }
    return sendError(io, error->code, error->message);
}

AfterRequest RequestHandler::answerInTurns(ClientIo &io, manifest::HashTask task, OpenFileRef file, const char *request,
                                           const std::string &path, uint64_t total)
{
    auto answer = std::make_unique<HashAnswer>(std::move(task), std::move(file), request, path, total);
    bool done = false;
    const IoOutcome sent = answer->sendNext(io, done); // what the cache holds is answered in this turn
    if (const char *result = answer->result())
        m_outcome.result = result;
    if (sent != IoOutcome::Ok)
        return replied(sent);
    if (!done)
        io.setRest(std::move(answer)); // hasUnsent() now: the loop makes the rest, a piece per turn
    return AfterRequest::KeepOpen;
}

AfterRequest RequestHandler::wholeDigest(ClientIo &io, const std::string &path, const OpenFileRef &file)
{
    const uint64_t size = uint64_t(file->info.st_size);
    if (io.keepsUnsent())
        return answerInTurns(io, manifest::HashTask(m_manifests, manifest::HashKind::WholeDigest), file, "DIGEST", path,
                             size);
    auto result = m_manifests.wholeDigest(file->fd, hashProgress(m_slot, io, path));
    if (auto *problem = std::get_if<manifest::Problem>(&result))
        return hashFailed(io, "DIGEST", path, *problem);
    const manifest::Digest &digest = std::get<manifest::Answer<manifest::WholeDigest>>(result).value.digest;
    proto::DigestReply reply{proto::DigestAlgo::Sha256, std::string(digest.begin(), digest.end())};
    return io.sendMessage(reply) == IoOutcome::Ok ? AfterRequest::KeepOpen : AfterRequest::Close;
}

} // namespace ferry::server
