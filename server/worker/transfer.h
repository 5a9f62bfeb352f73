// A GET body: BODY announcement, `length` raw bytes by sendfile() in chunks, BODY_END.
// Between chunks: the scoreboard slot is updated, the rate limits paced (pacing.h), an abort request honoured.
#pragma once

#include "worker/client_io.h"
#include "ipc/scoreboard.h"
#include "worker/pacing.h"
#include "base/unique_fd.h"

#include <sys/stat.h>

namespace ferry::server {

struct TransferPlan {
    uint64_t offset = 0;
    uint64_t length = 0;
    struct stat info {}; // of the open file, when the BODY was announced
    SharedLimit token;   // the rate of the token the request runs under, for all its connections together
    SharedLimit address; // the rate of the client's address (--rate-per-ip), for all its connections together
};

// The modification time in nanoseconds, as BODY and directory entries carry it.
int64_t mtimeNs(const struct stat &info);
// Pure: picks the chunk size for one sendfile() call. Unlimited: large chunks (few syscalls, progress still
// visible every few ms); limited: about 50 ms worth (a page at least), so a 1 s window holds the limit
// closely and a changed limit is felt within a chunk.
uint64_t chunkSize(uint64_t remaining, uint64_t rateBytesPerSecond);
// Pure: the rate a body can expect: the tighter of the per-connection limit and an equal share of the
// global one. 0 = unlimited. It sizes chunks; the pacing itself is in pacing.h.
uint64_t effectiveRate(uint64_t perConnection, uint64_t global, uint32_t activeSenders);

// Whether the body goes out in one write with its BODY and BODY_END (small and not rate-limited), so
// sending it never waits long.
bool sendsAtOnce(const TransferPlan &plan, const ControlBlock &control);
// Whether the file is no longer the one announced in BODY: modified, shrunk, or no longer stat-able.
bool changedSince(const UniqueFd &file, const struct stat &announced);
// The BODY_END that closes a body: Ok, or FileChanged.
proto::BodyEnd bodyEnd(bool changed);

enum class TransferResult {
    Complete,    // every byte sent, BODY_END Ok
    FileChanged, // the file shrank or changed: padded, BODY_END FileChanged; the connection stays usable
    Failed,      // the connection cannot continue (client gone, timeout, abort, error): close it
};

// Sends BODY + bytes + BODY_END. `why` receives a reason for Failed.
TransferResult sendBody(ClientIo &io, const UniqueFd &file, const TransferPlan &plan, WorkerSlot &slot,
                        ControlBlock &control, std::string &why);

} // namespace ferry::server
