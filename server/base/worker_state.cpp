#include "base/worker_state.h"

namespace ferry::server {

std::string_view workerStateName(WorkerState state)
{
    switch (state) {
    case WorkerState::Empty: return "empty";
    case WorkerState::Starting: return "starting";
    case WorkerState::Idle: return "idle";
    case WorkerState::Reading: return "reading";
    case WorkerState::Sending: return "sending";
    case WorkerState::Stopping: return "stopping";
    }
    return "unknown"; // a byte no version writes: shared memory is not trusted to hold a valid enum
}

char workerStateLetter(WorkerState state)
{
    switch (state) {
    case WorkerState::Empty: return '.';
    case WorkerState::Starting: return 'S';
    case WorkerState::Idle: return '_';
    case WorkerState::Reading: return 'R';
    case WorkerState::Sending: return 'W';
    case WorkerState::Stopping: return 'G';
    }
    return '?';
}

std::optional<WorkerState> workerStateFromName(std::string_view name)
{
    for (WorkerState state : AllWorkerStates)
        if (workerStateName(state) == name)
            return state;
    return std::nullopt;
}

bool isBusy(WorkerState state)
{
    switch (state) {
    case WorkerState::Reading:
    case WorkerState::Sending:
        return true;
    case WorkerState::Empty:
    case WorkerState::Starting:
    case WorkerState::Idle:
    case WorkerState::Stopping:
        return false;
    }
    return false;
}

} // namespace ferry::server
