#include "parent/worker_launch.h"

#include <algorithm>
#include <csignal>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace ferry::server {

namespace {

// A forked child starts with copies of every fd the parent holds (listener, clients, other workers'
// channels). It keeps only its own: everything else is closed before it does anything.
void closeAllExcept(std::vector<int> keep)
{
    std::sort(keep.begin(), keep.end());
    unsigned first = 3;
    for (int fd : keep) {
        if (fd < int(first))
            continue;
        if (unsigned(fd) > first)
            syscall(SYS_close_range, first, unsigned(fd) - 1, 0);
        first = unsigned(fd) + 1;
    }
    syscall(SYS_close_range, first, ~0u, 0);
}

void resetSignalsForWorker()
{
    // Ctrl-C reaches the whole process group; a worker must finish its transfer, so it ignores SIGINT and
    // leaves shutdown to the parent. SIGTERM stays fatal: the parent uses it for immediate stops.
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr); // the parent blocks signals for its signalfd
}

} // namespace

void becomeWorker(WorkerContext &context)
{
    resetSignalsForWorker();
    closeAllExcept({context.channel.get(), context.jail->rootFd()});
    prctl(PR_SET_NAME, "ferry-worker");
    context.scoreboard->slot(context.slotIndex).pid.store(getpid());
    _exit(runWorker(context));
}

} // namespace ferry::server
