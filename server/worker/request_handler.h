// Answers one decoded request (LIST, STAT, GET, DIGEST, a repeated HELLO) on a client connection.
// Records what it is doing in the worker's scoreboard slot.
#pragma once

#include "audit/audit_record.h"
#include "worker/body_stream.h"
#include "worker/client_io.h"
#include "worker/jail.h"
#include "worker/open_files.h"
#include "worker/recent_files.h"
#include "worker/session.h"
#include "worker/transfer.h"
#include "ipc/scoreboard.h"
#include "manifest/hash_task.h"
#include "manifest/manifest_store.h"

#include <dirent.h>
#include <memory>
#include <optional>
#include <string>

namespace ferry::server {

enum class AfterRequest {
    KeepOpen, // the response is complete; the connection may carry another request
    Close,    // the connection must be closed (client gone, BadRequest, a failed body)
    Streaming, // a body is under way without blocking: takeStream() has it (ClientIo::keepsUnsent())
    Bye,      // BYE: every answer is out, the client sends nothing more; close first (PROTOCOL.md §10.6)
};

class RequestHandler {
public:
    // `manifests`: where MANIFEST and whole-file DIGEST answers come from (without a cache: computed each time).
    RequestHandler(const Jail &jail, WorkerSlot &slot, ControlBlock &control, const WorkerAccess &accessPolicy,
                   manifest::ManifestStore manifests = manifest::ManifestStore(std::nullopt))
        : m_jail(jail), m_slot(slot), m_control(control), m_accessPolicy(accessPolicy),
          m_manifests(std::move(manifests))
    {
    }

    // Answers `request` on the connection whose `session` it is (the session must outlive the call).
    AfterRequest handle(ClientIo &io, Session &session, const proto::Message &request);
    // What the last handle() did, for the audit log: request, path, range, bytes and result (who asked is
    // the caller's to fill in). An empty request means nothing to record (a HELLO that was answered).
    const audit::Record &outcome() const { return m_outcome; }
    // The open-file cache's upkeep, for the worker's loop: closes what has not been used for a while.
    void expireFiles(int64_t nowNs) { m_openFiles.expire(nowNs); }
    int64_t nextFileExpiryNs() const { return m_openFiles.nextExpiryNs(); }
    // The body a GET left under way (after AfterRequest::Streaming), for the loop to resume.
    std::unique_ptr<BodyStream> takeStream() { return std::move(m_stream); }

private:
    AfterRequest hello(ClientIo &io, Session &session, const proto::Hello &request);
    // AUTH and MANIFEST: refused in a version 1 connection; MANIFEST answered as unsupported until built.
    AfterRequest version2Only(ClientIo &io, Session &session, const proto::Message &request);
    // A request's path placed within the connection's grant: the jail to look it up in (the root's, or a
    // granted subtree's, so nothing resolved there leaves that subtree) and the path within that jail.
    // A granted subtree that names a regular file (request_confine.cpp) places its one path in the jail
    // of the file's folder, as the file's name there, with `isFile` set.
    struct Confined {
        std::optional<Jail> subtreeJail;
        const Jail *jail = nullptr;
        std::string path;
        bool isFile = false;
    };
    // Places `path` in the grant of the request being handled (request_confine.cpp). A path outside it is
    // answered UNAUTHORIZED before anything is looked up (docs/PROTOCOL.md §10.7); then, or if the granted
    // subtree cannot be opened, the error is already sent, `refused` says what to do with the connection,
    // and false is returned.
    bool confine(ClientIo &io, const std::string &path, Confined &where, AfterRequest &refused);
    // The rest of confine() for a granted subtree that is not a directory: a regular file admits its own
    // path alone; anything below it is outside.
    bool confineToFile(ClientIo &io, const std::string &path, const GrantedPath &granted, Confined &where,
                       AfterRequest &refused);
    AfterRequest refuseOutsideGrant(ClientIo &io);
    AfterRequest list(ClientIo &io, const proto::ListRequest &request);
    // LIST of an ancestor of the granted subtrees (request_list_toward.cpp): only the entries `names`
    // (access/grant.h namesTowardGrant()) that exist.
    AfterRequest listToward(ClientIo &io, const std::string &path, const std::vector<std::string> &names);
    AfterRequest stat(ClientIo &io, const proto::StatRequest &request);
    AfterRequest get(ClientIo &io, const proto::GetRequest &request);
    AfterRequest digest(ClientIo &io, const proto::DigestRequest &request);
    // MANIFEST (PROTOCOL.md §10.4): pages of chunk digests, from the cache or computed once.
    AfterRequest manifest(ClientIo &io, const proto::ManifestRequest &request);
    // DIGEST of a whole file (what `ferry-get sum` asks): through the manifest store's cache.
    AfterRequest wholeDigest(ClientIo &io, const std::string &path, const OpenFileRef &file);
    // A DIGEST or MANIFEST on a connection that may not wait (TLS): its first piece now (an answer from
    // the cache is whole at once), the rest in later turns of the worker's loop (hash_answer.h).
    // `task` makes it from `file`; `total`: the bytes it hashes.
    AfterRequest answerInTurns(ClientIo &io, manifest::HashTask task, OpenFileRef file, const char *request,
                               const std::string &path, uint64_t total);
    // A failed hash: FILE_CHANGED, INTERNAL, or (aborted) close.
    AfterRequest hashFailed(ClientIo &io, const char *request, const std::string &path,
                            const manifest::Problem &problem);
    AfterRequest sendError(ClientIo &io, proto::ErrorCode code, const std::string &message);
    // The end of a request whose last send had `outcome`: keep the connection, or close it (recorded).
    AfterRequest replied(IoOutcome outcome);
    // Opens `path` for a GET or DIGEST of `requested` bytes at `offset` and clamps the length to the
    // file. On refusal (not found, forbidden, offset past the end) the error is already sent, `refused`
    // says what to do with the connection, and false is returned.
    bool openRange(ClientIo &io, const std::string &path, const Confined &where, uint64_t offset, uint64_t requested,
                   OpenFileRef &file,
                   uint64_t &length, AfterRequest &refused);
    // The file `path` names now (placed in the grant as `where`): from the cache if it is still that file,
    // else opened through the jail.
    OpenFileRef openFile(const std::string &path, const Confined &where, Opened &refusal);
    void beginRequest(const std::string &path, uint64_t total);

    // AUTH (request_handler_auth.cpp): the token's grant for this connection, or the refusal and a close.
    AfterRequest auth(ClientIo &io, Session &session, const proto::AuthRequest &request);
    // Before a request under a token: false (answered, `refused` set) if it was revoked or has expired.
    bool tokenStillHolds(ClientIo &io, const Session &session, AfterRequest &refused);
    // Before a GET body of `length` bytes: takes its address's pin and its quota reservations (address,
    // token) into `quota`; false (the refusal sent, `refused` set) if they do not fit.
    bool takeQuota(ClientIo &io, uint64_t length, BodyQuota &quota, AfterRequest &refused);
    // The token's rate for the body of a GET, shared by all its connections (none without a token).
    SharedLimit tokenLimit() const;
    // After one: counts it in the token's usage (a GET's bytes are counted by its BodyQuota).
    void countForToken(const Session &session);

    const Jail &m_jail;
    WorkerSlot &m_slot;
    ControlBlock &m_control;
    const WorkerAccess &m_accessPolicy;
    RecentFiles m_recentFiles;
    manifest::ManifestStore m_manifests;
    const Session *m_session = nullptr; // the connection of the request being handled, during handle()
    audit::Record m_outcome;
    OpenFiles m_openFiles;
    std::unique_ptr<BodyStream> m_stream;
};

// Digests per MANIFEST_PAGE: 512 KiB of them, half the frame limit, so a page stays far below it; a
// file up to 64 GiB is one page (PROTOCOL.md §10.8).
constexpr size_t DigestsPerPage = 16384;
static_assert(DigestsPerPage * proto::Sha256Size + 128 < proto::MaxFramePayload);

// Pure: the MANIFEST_PAGE holding digests [first, first + at most `perPage`) of `manifest`.
proto::ManifestPage manifestPage(const manifest::Manifest &manifest, size_t first, size_t perPage);

// Pure: the LIST/STAT entry for a name and its stat (FIFOs, sockets, devices are kind Other).
proto::Entry entryFor(const char *name, const struct stat &info);

} // namespace ferry::server
