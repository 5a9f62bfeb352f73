#include "worker/worker.h"

#include "base/log.h"
#include "worker/worker_loop.h"

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
        if (recv(fd.get(), sink, sizeof sink, MSG_DONTWAIT) <= 0)
            break;
    fd.reset();
}

int runWorker(WorkerContext &context)
{
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
