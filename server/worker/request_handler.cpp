#include "worker/request_handler.h"

#include "worker/digest.h"
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

// A LIST_PAGE is flushed when its entries reach about this many payload bytes: far below the frame
// limit, small enough that a 100,000-entry directory streams page by page.
constexpr size_t PageBudget = 32 * 1024;
constexpr size_t EntryOverhead = 32; // kind, size, mtime, name length, with margin

struct DirCloser {
    void operator()(DIR *dir) const { closedir(dir); }
};

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
    IoOutcome outcome = io.sendMessage(proto::Error{code, message});
    return outcomeOk(outcome) && !fatal ? AfterRequest::KeepOpen : AfterRequest::Close;
}

AfterRequest RequestHandler::handle(ClientIo &io, Session &session, const proto::Message &request)
{
    if (auto *hello = std::get_if<proto::Hello>(&request))
        return this->hello(io, session, *hello);
    if (proto::isVersion2Only(proto::typeOf(request)))
        return version2Only(io, session, request);
    m_slot.requestsServed.fetch_add(1, std::memory_order_relaxed);
    if (auto *list = std::get_if<proto::ListRequest>(&request))
        return this->list(io, *list);
    if (auto *stat = std::get_if<proto::StatRequest>(&request))
        return this->stat(io, *stat);
    if (auto *get = std::get_if<proto::GetRequest>(&request))
        return this->get(io, *get);
    if (auto *digest = std::get_if<proto::DigestRequest>(&request))
        return this->digest(io, *digest);
    return sendError(io, ErrorCode::BadRequest, "a client may not send this message type");
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
    io.queueMessage(serverWelcome(version, session.tls));
    return AfterRequest::KeepOpen;
}

AfterRequest RequestHandler::version2Only(ClientIo &io, const Session &session, const proto::Message &request)
{
    const char *name = proto::messageTypeName(proto::typeOf(request));
    if (session.negotiated.protocolVersion < proto::ProtocolVersion2)
        return sendError(io, ErrorCode::BadRequest, std::string(name) + " needs protocol version 2");
    if (std::holds_alternative<proto::AuthRequest>(request)) {
        io.sendMessage(proto::Error{ErrorCode::Unauthorized, "this server has no access tokens"});
        return AfterRequest::Close; // each guess costs a connection (PROTOCOL.md §10.2)
    }
    return sendError(io, ErrorCode::Unsupported, std::string("this server does not answer ") + name);
}

AfterRequest RequestHandler::stat(ClientIo &io, const proto::StatRequest &request)
{
    beginRequest(request.path, 0);
    Opened target = m_jail.stat(request.path);
    if (target.error != ErrorCode::Ok)
        return sendError(io, target.error, target.message);
    proto::StatReply reply{entryFor(request.path.c_str(), target.info)};
    return outcomeOk(io.sendMessage(reply)) ? AfterRequest::KeepOpen : AfterRequest::Close;
}

bool RequestHandler::statListed(int directoryFd, const dirent &item, struct stat &info) const
{
    if (item.d_type == DT_LNK) { // show what a link leads to, but only if it stays in the tree
        Opened target = m_jail.statEntry(directoryFd, item.d_name);
        info = target.info;
        return target.error == ErrorCode::Ok;
    }
    return fstatat(directoryFd, item.d_name, &info, AT_SYMLINK_NOFOLLOW) == 0; // false: vanished meanwhile
}

AfterRequest RequestHandler::list(ClientIo &io, const proto::ListRequest &request)
{
    beginRequest(request.path, 0);
    io.beginLongWork(); // a directory may hold 100,000 entries
    Opened directory = m_jail.openDirectory(request.path);
    if (directory.error != ErrorCode::Ok)
        return sendError(io, directory.error, directory.message);
    std::unique_ptr<DIR, DirCloser> dir(fdopendir(directory.fd.get()));
    if (!dir)
        return sendError(io, ErrorCode::Internal, std::string("fdopendir(): ") + std::strerror(errno));
    directory.fd.release(); // owned by `dir` now
    proto::ListPage page;
    size_t pageBytes = 0;
    uint64_t listed = 0;
    while (dirent *item = readdir(dir.get())) {
        const char *name = item->d_name;
        if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0 || !m_jail.isListed(name))
            continue;
        struct stat info {};
        if (!statListed(dirfd(dir.get()), *item, info))
            continue;
        page.entries.push_back(entryFor(name, info));
        pageBytes += EntryOverhead + page.entries.back().name.size();
        if (pageBytes >= PageBudget) {
            if (!outcomeOk(io.sendMessage(page)))
                return AfterRequest::Close;
            listed += page.entries.size();
            m_slot.bytesSent.store(listed, std::memory_order_relaxed);
            page.entries.clear();
            pageBytes = 0;
        }
    }
    page.last = true;
    return outcomeOk(io.sendMessage(page)) ? AfterRequest::KeepOpen : AfterRequest::Close;
}

AfterRequest RequestHandler::get(ClientIo &io, const proto::GetRequest &request)
{
    beginRequest(request.path, 0);
    Opened file;
    uint64_t length = 0;
    if (AfterRequest refused; !openRange(io, request.path, request.offset, request.length, file, length, refused))
        return refused;
    TransferPlan plan{request.offset, length, file.info};
    std::string why;
    TransferResult result = sendBody(io, file.fd, plan, m_slot, m_control, why);
    switch (result) {
    case TransferResult::Complete: return AfterRequest::KeepOpen;
    case TransferResult::FileChanged:
        LOG_WARN("GET '%s': the file changed while being sent", request.path.c_str());
        return AfterRequest::KeepOpen;
    case TransferResult::Failed: {
        char peer[PeerTextSize];
        loadText(peer, m_slot.peer, sizeof peer);
        LOG_INFO("GET '%s' to %s stopped after %llu of %llu bytes: %s", request.path.c_str(), peer,
                 (unsigned long long)m_slot.bytesSent.load(), (unsigned long long)plan.length, why.c_str());
        return AfterRequest::Close;
    }
    }
    return AfterRequest::Close;
}

bool RequestHandler::openRange(ClientIo &io, const std::string &path, uint64_t offset, uint64_t requested,
                               Opened &file, uint64_t &length, AfterRequest &refused)
{
    int64_t now = monotonicNs();
    file = m_jail.openFile(path, m_recentFiles.contains(path, now));
    if (file.error == ErrorCode::Ok)
        m_recentFiles.remember(path, now);
    else
        m_recentFiles.forget(path);
    if (file.error != ErrorCode::Ok) {
        refused = sendError(io, file.error, file.message);
        return false;
    }
    uint64_t size = uint64_t(file.info.st_size);
    if (offset > size) {
        refused = sendError(io, ErrorCode::RangeNotSatisfiable,
                            "offset " + std::to_string(offset) + " is beyond the end of '" + path + "' ("
                                + std::to_string(size) + " bytes)");
        return false;
    }
    length = std::min(requested, size - offset);
    m_slot.bytesTotal.store(length, std::memory_order_relaxed);
    return true;
}

AfterRequest RequestHandler::digest(ClientIo &io, const proto::DigestRequest &request)
{
    beginRequest(request.path, 0);
    if (request.algo != proto::DigestAlgo::Sha256)
        return sendError(io, ErrorCode::Unsupported, "only SHA-256 digests are supported");
    io.beginLongWork(); // hashing reads the whole range
    Opened file;
    uint64_t length = 0;
    if (AfterRequest refused; !openRange(io, request.path, request.offset, request.length, file, length, refused))
        return refused;
    std::string why;
    auto sum = sha256Range(file.fd, request.offset, length, m_slot, [&io] { return io.shouldAbort(); }, why);
    if (!sum)
        return sendError(io, ErrorCode::FileChanged, "DIGEST '" + request.path + "': " + why);
    proto::DigestReply reply{proto::DigestAlgo::Sha256, std::string(sum->begin(), sum->end())};
    return io.sendMessage(reply) == IoOutcome::Ok ? AfterRequest::KeepOpen : AfterRequest::Close;
}

} // namespace ferry::server
