#include "parent/worker_launch.h"

#include "base/log.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace ferry::server {

namespace {

// A forked child starts with copies of every fd the parent holds (listener, clients, other workers'
// channels). It keeps only its own: everything else is closed before it does anything. Returns 0, or the
// errno of the close_range() that failed (ENOSYS before Linux 5.9, EPERM under a seccomp filter).
int closeAllExcept(std::vector<int> keep)
{
    std::sort(keep.begin(), keep.end());
    unsigned first = 3;
    for (int fd : keep) {
        if (fd < int(first))
            continue;
        if (unsigned(fd) > first && syscall(SYS_close_range, first, unsigned(fd) - 1, 0) != 0)
            return errno;
        first = unsigned(fd) + 1;
    }
    return syscall(SYS_close_range, first, ~0u, 0) != 0 ? errno : 0;
}

void resetSignalsForWorker()
{
    // Ctrl-C reaches the whole process group; a worker must finish its transfer, so it ignores SIGINT and
    // leaves shutdown to the parent. SIGTERM stays fatal: the parent uses it for immediate stops.
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN); // logrotate's reopen is the parent's to announce (`systemctl kill` signals all)
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
    std::vector<int> keep{context.channel.get(), context.jail->rootFd()};
    if (context.audit && context.audit->isEnabled())
        keep.push_back(context.audit->fd()); // appended to as the parent does; reopened when it says so
    if (const int error = closeAllExcept(keep); error != 0) {
        // Serving with the listener and the other workers' channels open would let this worker accept and
        // read what is not its own, and keep them alive after the parent closes them. No retry can help.
        LOG_ERROR("worker %u: close_range() of the descriptors inherited from the parent: %s; not serving",
                  context.slotIndex, std::strerror(error));
        _exit(WorkerExit::FatalConfig);
    }
    prctl(PR_SET_NAME, "ferry-worker");
    context.scoreboard->slot(context.slotIndex).pid.store(getpid());
    _exit(runWorker(context));
}

} // namespace ferry::server
