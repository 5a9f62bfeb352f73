// A worker process's life: wait for a connection from the parent, serve its requests, hand it back
// ("park") when it has nothing more to ask right now, repeat. Returns a WorkerExit code.
#pragma once

#include "jail.h"
#include "options.h"
#include "scoreboard.h"
#include "unique_fd.h"

namespace ferry::server {

struct WorkerContext {
    uint32_t slotIndex = 0;
    uint32_t generation = 0;
    UniqueFd channel; // the worker's end of the socketpair; blocking
    const Jail *jail = nullptr;
    Scoreboard *scoreboard = nullptr;
    Millis sendTimeout{60000};
};

// Runs until the parent closes the channel (exit Normal), asks this slot to stop, or the channel fails.
int runWorker(WorkerContext &context);

// Closes a connection without losing what was just sent: FIN first, then discard unread input so the
// kernel does not answer it with a reset.
void closeGently(UniqueFd &fd);

} // namespace ferry::server
