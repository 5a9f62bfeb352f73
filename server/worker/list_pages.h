// The pages of one LIST answer, read from the open directory a page at a time: in one go on a
// connection that may wait for its client (plaintext, its worker's other connections handed back
// first), or each page only once the socket has taken the one before on a connection that may not
// (TLS: ClientIo::setRest()), so a directory of 100,000 entries never holds up the worker's others.
#pragma once

#include "ipc/scoreboard.h"
#include "worker/client_io.h"
#include "worker/jail.h"

#include <dirent.h>
#include <memory>

namespace ferry::server {

struct DirCloser {
    void operator()(DIR *dir) const { closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

class ListPages final : public AnswerRest {
public:
    // `jail` (the served root's, for links and hidden names) and `slot` are borrowed and outlive it.
    ListPages(const Jail &jail, DirHandle dir, WorkerSlot &slot);

    // Reads entries until a page is full or the directory ends, and sends that LIST_PAGE (the last one
    // says so). `done` once the last is sent.
    IoOutcome sendNext(ClientIo &io, bool &done) override;
    // Stops counting entries in the worker's slot: pages made in later turns, between other
    // connections' requests, must not write over what the slot shows of those.
    void stopShowing() { m_slot = nullptr; }

private:
    // The stat a LIST shows for a directory entry; false to leave the entry out.
    bool statListed(const struct dirent &item, struct stat &info) const;

    const Jail &m_jail;
    DirHandle m_dir;
    WorkerSlot *m_slot; // null once stopShowing()
    uint64_t m_listed = 0; // entries sent so far, for the scoreboard
};

} // namespace ferry::server
