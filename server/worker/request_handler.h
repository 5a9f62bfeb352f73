// Answers one decoded request (LIST, STAT, GET, DIGEST, a repeated HELLO) on a client connection.
// Records what it is doing in the worker's scoreboard slot.
#pragma once

#include "worker/client_io.h"
#include "worker/jail.h"
#include "worker/recent_files.h"
#include "worker/session.h"
#include "ipc/scoreboard.h"

#include <dirent.h>
#include <string>

namespace ferry::server {

enum class AfterRequest {
    KeepOpen, // the response is complete; the connection may carry another request
    Close,    // the connection must be closed (client gone, BadRequest, a failed body)
};

class RequestHandler {
public:
    RequestHandler(const Jail &jail, WorkerSlot &slot, ControlBlock &control)
        : m_jail(jail), m_slot(slot), m_control(control)
    {
    }

    AfterRequest handle(ClientIo &io, Session &session, const proto::Message &request);

private:
    AfterRequest hello(ClientIo &io, Session &session, const proto::Hello &request);
    // AUTH and MANIFEST: refused in a version 1 connection, answered as unsupported until built.
    AfterRequest version2Only(ClientIo &io, const Session &session, const proto::Message &request);
    AfterRequest list(ClientIo &io, const proto::ListRequest &request);
    AfterRequest stat(ClientIo &io, const proto::StatRequest &request);
    AfterRequest get(ClientIo &io, const proto::GetRequest &request);
    AfterRequest digest(ClientIo &io, const proto::DigestRequest &request);
    AfterRequest sendError(ClientIo &io, proto::ErrorCode code, const std::string &message);
    // Opens `path` for a GET or DIGEST of `requested` bytes at `offset` and clamps the length to the
    // file. On refusal (not found, forbidden, offset past the end) the error is already sent, `refused`
    // says what to do with the connection, and false is returned.
    bool openRange(ClientIo &io, const std::string &path, uint64_t offset, uint64_t requested, Opened &file,
                   uint64_t &length, AfterRequest &refused);
    void beginRequest(const std::string &path, uint64_t total);
    // The stat a LIST shows for a directory entry; false to leave the entry out.
    bool statListed(int directoryFd, const struct dirent &item, struct stat &info) const;

    const Jail &m_jail;
    WorkerSlot &m_slot;
    ControlBlock &m_control;
    RecentFiles m_recentFiles;
};

// Pure: the LIST/STAT entry for a name and its stat (FIFOs, sockets, devices are kind Other).
proto::Entry entryFor(const char *name, const struct stat &info);

} // namespace ferry::server
