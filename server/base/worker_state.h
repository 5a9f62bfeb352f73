// What a worker is doing: the one vocabulary of the scoreboard, the supervisor, the pool policy, the admin
// protocol, ferry-ctl and Ferry Admin. Every state here is stored by the process that is in it (the worker
// in its own scoreboard slot; `Empty` and `Starting` by the parent while no worker owns the slot).
// Names and letters are the admin protocol's (docs/ADMIN.md); letters mirror Apache's mod_status.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::server {

enum class WorkerState : uint8_t {
    Empty = 0,    // '.'  no process in this slot
    Starting = 1, // 'S'  forked, not yet in its event loop
    Idle = 2,     // '_'  in its loop, taking connections (it may hold kept-alive ones between requests)
    Reading = 3,  // 'R'  serving a request: reading, decoding, opening
    Sending = 4,  // 'W'  writing a response (LIST pages, a file body)
    Stopping = 6, // 'G'  told to exit: finishing its response and handing its connections back
    // 5 was "parking", which no worker shows since workers hand connections back between requests;
    // the number stays unused so a scoreboard byte never changes meaning.
};

constexpr WorkerState AllWorkerStates[] = {WorkerState::Empty, WorkerState::Starting, WorkerState::Idle,
                                           WorkerState::Reading, WorkerState::Sending, WorkerState::Stopping};

// "empty", "starting", "idle", "reading", "sending", "stopping".
std::string_view workerStateName(WorkerState state);
// '.', 'S', '_', 'R', 'W', 'G'.
char workerStateLetter(WorkerState state);
// The state a name stands for; nullopt for a name this version does not know (a newer server's).
std::optional<WorkerState> workerStateFromName(std::string_view name);
// Serving a request: counts as busy in the pool totals and for the pool policy.
bool isBusy(WorkerState state);

} // namespace ferry::server
