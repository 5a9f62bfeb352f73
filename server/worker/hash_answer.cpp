#include "worker/hash_answer.h"

#include "base/clock.h"
#include "base/log.h"
#include "worker/hash_progress.h"
#include "worker/request_handler.h"

#include <poll.h>

namespace ferry::server {

using manifest::HashTask;
using proto::ErrorCode;

std::optional<proto::Error> hashError(const char *request, const std::string &path, const manifest::Problem &problem)
{
    const std::string message = std::string(request) + " '" + path + "': " + problem.message;
    switch (problem.failure) {
    case manifest::Failure::FileChanged: return proto::Error{ErrorCode::FileChanged, message};
    case manifest::Failure::TooLarge: return proto::Error{ErrorCode::Unsupported, message};
    case manifest::Failure::ReadFailed:
    case manifest::Failure::Internal:
        LOG_WARN("%s", message.c_str());
        return proto::Error{ErrorCode::Internal, message};
    case manifest::Failure::Aborted: return std::nullopt; // the client or the parent stopped it
    }
    return std::nullopt;
}

HashAnswer::HashAnswer(HashTask task, OpenFileRef file, const char *request, std::string path, uint64_t total)
    : m_task(std::move(task)), m_file(std::move(file)), m_request(request), m_path(std::move(path)), m_total(total),
      m_lastProgressNs(monotonicNs())
{
}

IoOutcome HashAnswer::sendNext(ClientIo &io, bool &done)
{
    done = false;
    return m_made ? sendAnswer(io, done) : hashOn(io, done);
}

IoOutcome HashAnswer::hashOn(ClientIo &io, bool &done)
{
    // Not in the request's own turn: an answer from the cache costs no poll().
    if ((m_task.isReading() || m_wakeNs != 0) && clientGone(io))
        return IoOutcome::Closed;
    const int64_t now = monotonicNs();
    const HashTask::Step step = m_task.advance(m_file->fd, now + PieceBudgetNs);
    m_lastProgressNs = monotonicNs();
    m_wakeNs = step == HashTask::Step::Waiting ? now + manifest::StampedCache::LockRetryNs : 0;
    if (step != HashTask::Step::Done) {
        if (!m_announced && m_task.hashed() > 0) {
            m_announced = true;
            noteHashingStarted(m_path);
        }
        return IoOutcome::Ok;
    }
    m_made = true;
    return sendAnswer(io, done);
}

bool HashAnswer::clientGone(ClientIo &io)
{
    // A reset, or an error: nobody will read the answer, and the hash is not worth the worker's time.
    // The client's FIN alone does not say so: a client that half-closed still reads its answer
    // (PROTOCOL.md §3.4), as a plaintext one does. The first FIN seen is probed once: a client whose
    // socket is closed answers the probe with a reset, which a later piece sees here.
    pollfd p{io.fd(), POLLRDHUP, 0};
    if (poll(&p, 1, 0) <= 0)
        return false;
    if ((p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0)
        return true;
    if ((p.revents & POLLRDHUP) == 0 || m_probed)
        return false;
    m_probed = true;
    return !io.transport().probe();
}

IoOutcome HashAnswer::sendAnswer(ClientIo &io, bool &done)
{
    if (const manifest::Problem *problem = m_task.problem()) {
        done = true;
        const std::optional<proto::Error> error = hashError(m_request, m_path, *problem);
        if (!error)
            return IoOutcome::Aborted;
        m_result = proto::errorCodeName(error->code);
        return io.sendMessage(*error);
    }
    if (std::string_view(m_request) == "DIGEST") {
        done = true;
        const manifest::Digest &digest = m_task.wholeDigest().digest;
        return io.sendMessage(proto::DigestReply{proto::DigestAlgo::Sha256, std::string(digest.begin(), digest.end())});
    }
    const proto::ManifestPage page = manifestPage(m_task.manifest(), m_nextDigest, DigestsPerPage);
    m_nextDigest += page.digests.size();
    done = page.last;
    return io.sendMessage(page);
}

std::optional<AnswerRest::Progress> HashAnswer::progress() const
{
    return Progress{m_made ? m_total : m_task.hashed(), m_total, m_lastProgressNs};
}

} // namespace ferry::server
