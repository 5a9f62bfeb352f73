// Answers one decoded request (LIST, STAT, GET, DIGEST, a repeated HELLO) on a client connection.
// Records what it is doing in the worker's scoreboard slot.
#pragma once

#include "client_io.h"
#include "jail.h"
#include "scoreboard.h"

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

    AfterRequest handle(ClientIo &io, const proto::Message &request);

private:
    AfterRequest list(ClientIo &io, const proto::ListRequest &request);
    AfterRequest stat(ClientIo &io, const proto::StatRequest &request);
    AfterRequest get(ClientIo &io, const proto::GetRequest &request);
    AfterRequest sendError(ClientIo &io, proto::ErrorCode code, const std::string &message);
    void beginRequest(const std::string &path, uint64_t total);

    const Jail &m_jail;
    WorkerSlot &m_slot;
    ControlBlock &m_control;
};

// Pure: the LIST entry for a directory entry's stat, or nullopt for kinds not shown.
proto::Entry entryFor(const char *name, const struct stat &info);

} // namespace ferry::server
