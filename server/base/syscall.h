// The one place where an interrupted system call is retried.
//
// A call that fails with EINTR was interrupted by a signal before it did anything (for the calls used here:
// reads, writes, sends, receives, accepts, waits, opens), so the right answer is always to call it again.
// The parent blocks its signals for a signalfd, and workers install no handlers, yet EINTR still happens
// (a blocking call across SIGSTOP/SIGCONT, or a debugger attaching), so every such call goes through here
// instead of each caller deciding for itself. Not for close() (on Linux the descriptor is gone even when
// it reports EINTR: see UniqueFd) nor for connect() (an interrupted connect goes on in the background, and
// a second call fails with EALREADY).
#pragma once

#include <cerrno>
#include <type_traits>

namespace ferry::server {

// Calls `call()` until it returns anything but -1-with-errno-EINTR, and returns that result with errno as
// the call left it. `call` is re-evaluated each time, so arguments computed inside it (a timeout from the
// next timer, the bytes still to send) are fresh on every try.
template <typename Call>
[[nodiscard]] std::invoke_result_t<Call &> retryOnEintr(Call &&call)
{
    for (;;) {
        auto result = call();
        if (!(result == -1 && errno == EINTR))
            return result;
    }
}

} // namespace ferry::server
