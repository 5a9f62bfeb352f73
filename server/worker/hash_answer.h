// A DIGEST or MANIFEST answer on a connection that may not wait (TLS): the hash behind it is made a
// bounded piece per turn of the worker's loop (manifest/hash_task.h), so a 100 GiB file hashed for one
// client holds up none of the worker's other connections; then the answer goes out, a MANIFEST one
// page per turn as a LIST does. Driven through ClientIo::setRest(): while it is under way the
// connection reads no further request of its own, its client's abort, the admin's disconnect and a
// token revoked stop it between pieces, and so does a client that goes away (a reset, or a closed
// socket found out by a probe after its FIN); a client that only half-closed gets its answer.
#pragma once

#include "manifest/hash_task.h"
#include "protocol/messages.h"
#include "worker/client_io.h"
#include "worker/open_files.h"

#include <cstdint>
#include <optional>
#include <string>

namespace ferry::server {

class HashAnswer final : public AnswerRest {
public:
    // The answer to `request` ("DIGEST" or "MANIFEST", a static string) for `path`, made by `task`
    // from `file` (held open by the reference until the answer ends). `total`: the bytes to hash.
    HashAnswer(manifest::HashTask task, OpenFileRef file, const char *request, std::string path, uint64_t total);

    // A piece of the hash (about PieceBudgetNs), or the answer's next frame once it is made.
    IoOutcome sendNext(ClientIo &io, bool &done) override;
    int64_t wakeNs() const override { return m_wakeNs; }
    std::optional<Progress> progress() const override;
    const char *result() const override { return m_result; }

    // The time a turn hashes for: about 2–4 MiB with SHA instructions, short next to a client's wait.
    static constexpr int64_t PieceBudgetNs = 2'000'000;

private:
    IoOutcome hashOn(ClientIo &io, bool &done);
    // Whether the client is gone, without waiting (a FIN is probed once: Transport::probe()).
    bool clientGone(ClientIo &io);
    // The answer made: the DIGEST reply, a MANIFEST page, or the error the hash ended with.
    IoOutcome sendAnswer(ClientIo &io, bool &done);

    manifest::HashTask m_task;
    OpenFileRef m_file;
    const char *m_request;
    std::string m_path;
    uint64_t m_total;
    bool m_made = false;       // the hash is over: what is left is sending its answer
    bool m_announced = false;  // noteHashingStarted() ran
    bool m_probed = false;     // the client's FIN was seen, and probed
    size_t m_nextDigest = 0;   // the first digest of the next MANIFEST page
    int64_t m_wakeNs = 0;
    int64_t m_lastProgressNs = 0;
    const char *m_result = nullptr;
};

// The ERROR a failed hash is answered with (FILE_CHANGED, UNSUPPORTED, or INTERNAL, which is logged),
// or nullopt for one that was stopped (Aborted: the connection closes without an answer).
std::optional<proto::Error> hashError(const char *request, const std::string &path, const manifest::Problem &problem);

} // namespace ferry::server
