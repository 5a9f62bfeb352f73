// Supervisor, batched dispatch: the connections the dispatcher accepts in one wake-up go to each worker
// in one datagram (SCM_RIGHTS carries them all), so a burst costs one sendmsg() here, and one wake-up
// and one recvmsg() in the worker, instead of one of each per connection. On a CPU that the parent
// shares with its workers, every message also preempted the parent for the worker it woke.
#include "parent/supervisor.h"

#include "base/log.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>

namespace ferry::server {

void Supervisor::flushDispatches()
{
    m_holding = false;
    std::vector<pid_t> pids;
    pids.swap(m_withOutbox);
    for (pid_t pid : pids) {
        auto it = m_workers.find(pid);
        if (it == m_workers.end())
            continue; // reaped meanwhile: onExit() handed its outbox back
        Worker &worker = it->second;
        std::vector<HandoffMessage> outbox;
        outbox.swap(worker.outbox);
        std::span<HandoffMessage> rest(outbox);
        while (!rest.empty()) {
            std::span<HandoffMessage> batch = rest.first(std::min(rest.size(), MaxHandoffBatch));
            int error = sendHandoffs(worker.channel.get(), batch, MSG_DONTWAIT);
            if (error == EMSGSIZE && batch.size() > 1) { // too many bytes for one datagram: send the first alone
                batch = batch.first(1);
                error = sendHandoffs(worker.channel.get(), batch, MSG_DONTWAIT);
            }
            if (error != 0) {
                if (error != EAGAIN) {
                    LOG_ERROR("sendmsg() passing %zu connection(s) to worker %u (pid %d): %s", rest.size(),
                              worker.slot, int(worker.pid), std::strerror(error));
                    sigkill(worker);
                }
                returnUndelivered(worker, rest);
                break;
            }
            rest = rest.subspan(batch.size()); // sent: their fds, our copies, close with `outbox`
        }
    }
}

void Supervisor::returnUndelivered(Worker &worker, std::span<HandoffMessage> messages)
{
    std::vector<HandoffMessage> undelivered;
    for (HandoffMessage &message : messages) {
        std::erase(worker.connections, message.connectionId);
        std::erase(worker.tls, message.connectionId);
        undelivered.push_back(std::move(message));
    }
    worker.outbox.clear();
    updateAvailability(worker);
    for (HandoffMessage &message : undelivered)
        m_hooks.dispatchUndelivered(std::move(message));
}

} // namespace ferry::server
