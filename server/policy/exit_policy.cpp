#include "policy/exit_policy.h"

#include <algorithm>
#include <sys/wait.h>

namespace ferry::server::policy {

std::chrono::milliseconds respawnDelay(uint32_t consecutiveFailures)
{
    if (consecutiveFailures <= 1)
        return std::chrono::milliseconds(0);
    constexpr int64_t First = 250, Ceiling = 30000;
    uint32_t doublings = std::min<uint32_t>(consecutiveFailures - 2, 16);
    return std::chrono::milliseconds(std::min<int64_t>(First << doublings, Ceiling));
}

ExitReason classifyExit(int waitStatus, bool killedByParent)
{
    if (WIFSIGNALED(waitStatus))
        return killedByParent ? ExitReason::Killed : ExitReason::Crashed;
    if (!WIFEXITED(waitStatus))
        return ExitReason::Failed;
    switch (WEXITSTATUS(waitStatus)) {
    case WorkerExit::Normal: return ExitReason::Normal;
    case WorkerExit::FatalConfig: return ExitReason::FatalConfig;
    default: return ExitReason::Failed;
    }
}

bool countsAsFailure(ExitReason reason, int64_t lifetimeNs)
{
    bool abnormal = reason == ExitReason::Crashed || reason == ExitReason::Failed;
    return abnormal && lifetimeNs < HealthyLifetimeNs;
}

bool shouldRespawn(ExitReason reason)
{
    return reason != ExitReason::FatalConfig;
}

SlotHealth healthAfterExit(const SlotHealth &before, ExitReason reason, int64_t lifetimeNs, int64_t nowNs)
{
    SlotHealth after;
    after.consecutiveFailures = countsAsFailure(reason, lifetimeNs) ? before.consecutiveFailures + 1 : 0;
    after.notBeforeNs = nowNs + int64_t(respawnDelay(after.consecutiveFailures).count()) * 1'000'000;
    return after;
}

uint32_t retryAfterMs(uint32_t pending, uint32_t workers)
{
    uint64_t perWorker = pending / std::max<uint32_t>(1, workers);
    return uint32_t(std::clamp<uint64_t>(250 + perWorker * 100, 250, 10000));
}

} // namespace ferry::server::policy
