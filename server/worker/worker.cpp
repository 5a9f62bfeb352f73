#include "worker/worker.h"

#include "base/log.h"
#include "worker/worker_loop.h"
#include "base/syscall.h"

#include <csignal>
#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>

namespace ferry::server {

void closeGently(UniqueFd &fd)
{
    if (!fd)
        return;
    shutdown(fd.get(), SHUT_WR);
    uint8_t sink[4096];
    for (int i = 0; i < 16; ++i) // bounded: a client streaming garbage does not hold the worker
        if (retryOnEintr([&] { return recv(fd.get(), sink, sizeof sink, MSG_DONTWAIT); }) <= 0)
            break;
    fd.reset();
}

#ifdef FERRY_TEST_HOOKS
namespace {

// Test builds only (FERRY_TEST_HOOKS is defined when BUILD_TESTING is on; the server-only build has it off;
// it grants nothing: whoever sets the server's environment can kill its workers anyway):
// FERRY_TEST_DIE_IN_SLOT_WRITE=<slot> makes the first process of that slot die by SIGKILL inside a
// scoreboard write section, as a worker killed by the stall watchdog or `kill-worker --now` mid-update
// would, leaving the slot's sequence counter odd. Its successor (restarts > 1) lives. Runs once at start-up,
// never per request. tests/server/tst_server_lifecycle.cpp checks that the parent keeps serving.
void dieInsideSlotWriteIfAsked(const WorkerContext &context)
{
    const char *wanted = std::getenv("FERRY_TEST_DIE_IN_SLOT_WRITE");
    WorkerSlot &slot = context.scoreboard->slot(context.slotIndex);
    if (!wanted || std::to_string(context.slotIndex) != wanted || slot.restarts.load() != 1)
        return;
    SlotWriteGuard guard(slot);
    slot.state.store(WorkerState::Idle, std::memory_order_relaxed);
    raise(SIGKILL);
}

} // namespace
#endif

int runWorker(WorkerContext &context)
{
#ifdef FERRY_TEST_HOOKS
    dieInsideSlotWriteIfAsked(context);
#endif
    struct stat root {};
    if (fstat(context.jail->rootFd(), &root) != 0 || root.st_nlink == 0) {
        // The served directory was deleted: no worker can ever serve from it; restarting cannot help.
        LOG_ERROR("worker %u: the root directory is gone", context.slotIndex);
        return WorkerExit::FatalConfig;
    }
    WorkerLoop loop(context);
    return loop.run();
}

} // namespace ferry::server
