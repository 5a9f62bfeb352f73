#include "worker/request_handler.h"

#include "worker/digest.h"
#include "worker/hash_progress.h"
#include "worker/list_pages.h"
#include "base/log.h"
#include "protocol/codec.h"
#include "worker/transfer.h"
#include "net/wire_errors.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>

namespace ferry::server {

using proto::ErrorCode;

namespace {

bool outcomeOk(IoOutcome outcome) { return outcome == IoOutcome::Ok; }

} // namespace

proto::Entry entryFor(const char *name, const struct stat &info)
{
    proto::Entry entry;
    entry.name = name;
    entry.mtimeNs = mtimeNs(info);
    if (S_ISREG(info.st_mode)) {
        entry.kind = proto::EntryKind::File;
        entry.size = uint64_t(info.st_size);
    } else if (S_ISDIR(info.st_mode)) {
        entry.kind = proto::EntryKind::Directory;
    } else {
        entry.kind = proto::EntryKind::Other;
    }
    return entry;
}

void RequestHandler::beginRequest(const std::string &path, uint64_t total)
{
    m_outcome.path = path;
    SlotWriteGuard guard(m_slot);
    // A worker told to stop keeps showing Stopping while it finishes (it stored that state itself).
    if (m_slot.state.load(std::memory_order_relaxed) != WorkerState::Stopping)
        m_slot.state.store(WorkerState::Sending, std::memory_order_relaxed);
    copyText(m_slot.path, sizeof m_slot.path, path.data(), path.size());
    m_slot.bytesSent.store(0, std::memory_order_relaxed);
    m_slot.bytesTotal.store(total, std::memory_order_relaxed);
    int64_t now = monotonicNs();
    m_slot.transferStartNs.store(now, std::memory_order_relaxed);
    m_slot.lastProgressNs.store(now, std::memory_order_relaxed);
}

AfterRequest RequestHandler::sendError(ClientIo &io, ErrorCode code, const std::string &message)
{
    bool fatal = code == ErrorCode::BadRequest || code == ErrorCode::UnsupportedVersion;
    m_outcome.result = proto::errorCodeName(code);
    IoOutcome outcome = io.sendMessage(proto::Error{code, message});
    return outcomeOk(outcome) && !fatal ? AfterRequest::KeepOpen : AfterRequest::Close;
}

AfterRequest RequestHandler::replied(IoOutcome outcome)
{
    if (outcomeOk(outcome))
        return AfterRequest::KeepOpen;
    m_outcome.result = audit::InterruptedResult;
    return AfterRequest::Close;
}

AfterRequest RequestHandler::handle(ClientIo &io, Session &session, const proto::Message &request)
{
    m_session = &session;
    m_outcome = audit::Record{};
    m_outcome.request = proto::messageTypeName(proto::typeOf(request)); // "GET", "AUTH", ...: no table to extend
    m_outcome.result = proto::errorCodeName(ErrorCode::Ok);
    if (auto *hello = std::get_if<proto::Hello>(&request))
        return this->hello(io, session, *hello);
    if (std::holds_alternative<proto::Bye>(request)) {
        if (session.negotiated.protocolVersion < proto::ProtocolVersion2)
            return sendError(io, ErrorCode::BadRequest, "BYE needs protocol version 2");
        m_outcome.request.clear(); // the end of the connection, not a request: not audited
        return AfterRequest::Bye;
    }
    // Revocation and expiry take effect here for new requests (and between a body's chunks, in the loop).
    if (AfterRequest refused; !std::holds_alternative<proto::AuthRequest>(request)
                              && !tokenStillHolds(io, session, refused))
        return refused;
    if (proto::isVersion2Only(proto::typeOf(request)))
        return version2Only(io, session, request);
    m_slot.requestsServed.fetch_add(1, std::memory_order_relaxed);
    AfterRequest after = AfterRequest::Close;
    if (auto *list = std::get_if<proto::ListRequest>(&request))
        after = this->list(io, *list);
    else if (auto *stat = std::get_if<proto::StatRequest>(&request))
        after = this->stat(io, *stat);
    else if (auto *get = std::get_if<proto::GetRequest>(&request))
        after = this->get(io, *get);
    else if (auto *digest = std::get_if<proto::DigestRequest>(&request))
        after = this->digest(io, *digest);
    else
        return sendError(io, ErrorCode::BadRequest, "a client may not send this message type");
    countForToken(session); // a GET's bytes count as its BodyQuota settles
    return after;
}

AfterRequest RequestHandler::hello(ClientIo &io, Session &session, const proto::Hello &request)
{
    uint16_t &version = session.negotiated.protocolVersion;
    if (version != 0 && version != request.version) // the first HELLO fixed it (PROTOCOL.md §10)
        return sendError(io, ErrorCode::UnsupportedVersion,
                         "this connection speaks protocol version " + std::to_string(version));
    version = request.version;
    // The parent forwards a HELLO that came with the first request: its answer rides along with the
    // request's (a repeated handshake is harmless and answered the same way).
    io.queueMessage(serverWelcome(version, session.tls, authCapability(m_accessPolicy.anonymous)));
    m_outcome.request.clear(); // part of the handshake, not a request: not audited (a refused one is)
    return AfterRequest::KeepOpen;
}

AfterRequest RequestHandler::version2Only(ClientIo &io, Session &session, const proto::Message &request)
{
    const char *name = proto::messageTypeName(proto::typeOf(request));
    if (session.negotiated.protocolVersion < proto::ProtocolVersion2)
        return sendError(io, ErrorCode::BadRequest, std::string(name) + " needs protocol version 2");
    if (auto *manifest = std::get_if<proto::ManifestRequest>(&request)) {
        m_slot.requestsServed.fetch_add(1, std::memory_order_relaxed);
        return this->manifest(io, *manifest);
    }
    if (auto *auth = std::get_if<proto::AuthRequest>(&request))
        return this->auth(io, session, *auth);
    return sendError(io, ErrorCode::Unsupported, std::string("this server does not answer ") + name);
}

AfterRequest RequestHandler::stat(ClientIo &io, const proto::StatRequest &request)
{
    beginRequest(request.path, 0);
    Confined where;
    if (AfterRequest refused; !confine(io, request.path, where, refused))
        return refused;
    Opened target = where.jail->stat(where.path);
    if (target.error != ErrorCode::Ok)
        return sendError(io, target.error, target.message);
    proto::StatReply reply{entryFor(request.path.c_str(), target.info)};
    return replied(io.sendMessage(reply));
}

AfterRequest RequestHandler::list(ClientIo &io, const proto::ListRequest &request)
{
    if (auto toward = namesTowardGrant(m_session->access.grant, request.path))
        return listToward(io, request.path, *toward);
    beginRequest(request.path, 0);
    Confined where;
    if (AfterRequest refused; !confine(io, request.path, where, refused))
        return refused;
    if (where.isFile) // a scope of one file: nothing of its folder is listed, whatever the name is now
        return sendError(io, ErrorCode::NotADirectory, "'" + request.path + "' is not a directory");
    // A directory may hold 100,000 entries. Plaintext: the other connections go back to the parent
    // first. TLS: the pages after the first are made as the socket drains, in later turns.
    if (!io.keepsUnsent())
        io.beginLongWork();
    Opened directory = where.jail->openDirectory(where.path);
    if (directory.error != ErrorCode::Ok)
        return sendError(io, directory.error, directory.message);
    DirHandle dir(fdopendir(directory.fd.get()));
    if (!dir)
        return sendError(io, ErrorCode::Internal, std::string("fdopendir(): ") + std::strerror(errno));
    directory.fd.release(); // owned by `dir` now
    auto pages = std::make_unique<ListPages>(m_jail, std::move(dir), m_slot);
    for (bool done = false; !done;) {
        if (IoOutcome sent = pages->sendNext(io, done); !outcomeOk(sent))
            return replied(sent);
        if (!done && io.keepsUnsent()) {
            pages->stopShowing();
            io.setRest(std::move(pages));
            break;
        }
    }
    return AfterRequest::KeepOpen;
}

AfterRequest RequestHandler::get(ClientIo &io, const proto::GetRequest &request)
{
    beginRequest(request.path, 0);
    Confined where;
    OpenFileRef file;
    uint64_t length = 0;
    if (AfterRequest refused; !confine(io, request.path, where, refused)
                              || !openRange(io, request.path, where, request.offset, request.length, file, length,
                                            refused))
        return refused;
    BodyQuota quota;
    if (AfterRequest refused; !takeQuota(io, length, quota, refused))
        return refused;
    TransferPlan plan{request.offset, length, file->info, tokenLimit(), quota.addressLimit()};
    if (io.keepsUnsent() && !sendsAtOnce(plan, m_control)) {
        // A TLS connection cannot be handed to another worker while this one is busy, nor wait behind
        // a plaintext one: its body goes out interleaved with this worker's other connections instead
        // (body_stream.h), and so does a plaintext one's while this worker holds TLS connections. The
        // stream gets its own descriptor of the file: the open-file cache keeps the one it shares.
        UniqueFd own(fcntl(file->fd.get(), F_DUPFD_CLOEXEC, 0));
        if (!own)
            return sendError(io, ErrorCode::Internal, std::string("dup(): ") + std::strerror(errno));
        m_stream = std::make_unique<BodyStream>(io.transport(), std::move(own), plan, request.path, m_control,
                                                m_slot, io.sendTimeout(), io.takePending());
        m_stream->setQuota(std::move(quota));
        return AfterRequest::Streaming;
    }
    std::string why;
    TransferResult result = sendBody(io, file->fd, plan, m_slot, m_control, why);
    m_outcome.bytes = m_slot.bytesSent.load(std::memory_order_relaxed);
    quota.setSent(m_outcome.bytes);
    switch (result) {
    case TransferResult::Complete: return AfterRequest::KeepOpen;
    case TransferResult::FileChanged:
        m_outcome.result = proto::errorCodeName(ErrorCode::FileChanged);
        LOG_WARN("GET '%s': the file changed while being sent", request.path.c_str());
        m_openFiles.forget(where.path); // the next GET opens it afresh
        return AfterRequest::KeepOpen;
    case TransferResult::Failed: {
        m_outcome.result = audit::InterruptedResult;
        char peer[PeerTextSize];
        loadText(peer, m_slot.peer, sizeof peer);
        LOG_INFO("GET '%s' to %s stopped after %llu of %llu bytes: %s", request.path.c_str(), peer,
                 (unsigned long long)m_slot.bytesSent.load(), (unsigned long long)plan.length, why.c_str());
        return AfterRequest::Close;
    }
    }
    return AfterRequest::Close;
}

OpenFileRef RequestHandler::openFile(const std::string &path, const Confined &where, Opened &refusal)
{
    int64_t now = monotonicNs();
    // The cache holds files opened through the root's jail. A subtree's jail refuses links that the
    // root's allows (one leaving the token's folder), so a request placed in a subtree never takes a
    // cached fd, nor leaves one.
    const bool cacheable = !where.subtreeJail;
    if (cacheable)
        if (OpenFileRef cached = m_openFiles.find(m_jail.rootFd(), where.path, now))
            return cached;
    Opened opened = where.jail->openFile(where.path, m_recentFiles.contains(path, now));
    if (opened.error != ErrorCode::Ok) {
        m_recentFiles.forget(path);
        refusal = std::move(opened);
        return nullptr;
    }
    m_recentFiles.remember(path, now);
    OpenFile file{std::move(opened.fd), opened.info};
    if (!cacheable)
        return std::make_shared<const OpenFile>(std::move(file));
    return m_openFiles.keep(where.path, std::move(file), now);
}

bool RequestHandler::openRange(ClientIo &io, const std::string &path, const Confined &where, uint64_t offset,
                               uint64_t requested, OpenFileRef &file, uint64_t &length, AfterRequest &refused)
{
    m_outcome.offset = offset;
    if (requested != proto::ToEnd)
        m_outcome.length = requested; // "to the end" stays null until the file's size says how much that is
    Opened refusal;
    file = openFile(path, where, refusal);
    if (!file) {
        refused = sendError(io, refusal.error, refusal.message);
        return false;
    }
    uint64_t size = uint64_t(file->info.st_size);
    if (offset > size) {
        refused = sendError(io, ErrorCode::RangeNotSatisfiable,
                            "offset " + std::to_string(offset) + " is beyond the end of '" + path + "' ("
                                + std::to_string(size) + " bytes)");
        return false;
    }
    length = std::min(requested, size - offset);
    m_outcome.length = length;
    m_slot.bytesTotal.store(length, std::memory_order_relaxed);
    return true;
}

AfterRequest RequestHandler::digest(ClientIo &io, const proto::DigestRequest &request)
{
    beginRequest(request.path, 0);
    if (request.algo != proto::DigestAlgo::Sha256)
        return sendError(io, ErrorCode::Unsupported, "only SHA-256 digests are supported");
    Confined where;
    if (AfterRequest refused; !confine(io, request.path, where, refused))
        return refused;
    OpenFileRef file;
    uint64_t length = 0;
    if (AfterRequest refused;
        !openRange(io, request.path, where, request.offset, request.length, file, length, refused))
        return refused;
    if (request.offset == 0 && length == uint64_t(file->info.st_size))
        return wholeDigest(io, request.path, file); // long work only if the cache misses
    if (io.keepsUnsent()) // TLS: hashed in turns, between the worker's other connections
        return answerInTurns(io, manifest::HashTask(m_manifests, manifest::HashKind::Range, request.offset, length),
                             file, "DIGEST", request.path, length);
    io.beginLongWork(); // hashing reads the whole range
    noteHashingStarted(request.path); // as a range hashed in turns does (the test hooks)
    auto result = sha256Range(file->fd, request.offset, length, m_slot, [&io] { return io.shouldAbort(); });
    if (auto *problem = std::get_if<manifest::Problem>(&result)) // answered as a hash made in turns is
        return hashFailed(io, "DIGEST", request.path, *problem);
    const Sha256Sum &sum = std::get<Sha256Sum>(result);
    proto::DigestReply reply{proto::DigestAlgo::Sha256, std::string(sum.begin(), sum.end())};
    return replied(io.sendMessage(reply));
}

} // namespace ferry::server
