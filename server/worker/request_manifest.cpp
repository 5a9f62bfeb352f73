// RequestHandler, the requests answered from a file's hashes (server/manifest): MANIFEST and the DIGEST
// of a whole file, both through the manifest store, so a second request for an unchanged file reads
// the cache in the state directory instead of the file.
#include "worker/request_handler.h"

#include "base/log.h"
#include "worker/hash_progress.h"

namespace ferry::server {

using proto::ErrorCode;

AfterRequest RequestHandler::hashFailed(ClientIo &io, const char *request, const std::string &path,
                                        const manifest::Problem &problem)
{
    const std::string message = std::string(request) + " '" + path + "': " + problem.message;
    switch (problem.failure) {
    case manifest::Failure::FileChanged: return sendError(io, ErrorCode::FileChanged, message);
    case manifest::Failure::ReadFailed:
    case manifest::Failure::Internal:
        LOG_WARN("%s", message.c_str());
        return sendError(io, ErrorCode::Internal, message);
    case manifest::Failure::Aborted: return AfterRequest::Close; // the client or the parent stopped it
    }
    return AfterRequest::Close;
}

AfterRequest RequestHandler::wholeDigest(ClientIo &io, const std::string &path, const Opened &file)
{
    auto result = m_manifests.wholeDigest(file.fd, hashProgress(m_slot, io, path));
    if (auto *problem = std::get_if<manifest::Problem>(&result))
        return hashFailed(io, "DIGEST", path, *problem);
    const manifest::Digest &digest = std::get<manifest::Answer<manifest::WholeDigest>>(result).value.digest;
    proto::DigestReply reply{proto::DigestAlgo::Sha256, std::string(digest.begin(), digest.end())};
    return io.sendMessage(reply) == IoOutcome::Ok ? AfterRequest::KeepOpen : AfterRequest::Close;
}

} // namespace ferry::server
