// The real AdminServer (server/admin) on its own EventLoop in the fuzzer's process, for fuzz_admin.cpp:
// each input is written by a fresh client over the admin socket, which then half-closes; the server's
// replies are read until it closes. Its backend stands in for the parent (a pool of two workers whose
// limits, rate limits and state the commands change), so dispatch, the commands' argument checks, the
// audit line and subscriptions all run for real.
#pragma once

#include <string>
#include <vector>

namespace ferry::fuzz {

// Sends `bytes` on a new admin connection and returns every line the server wrote (greeting first),
// without their "\n". Aborts if the server does not close the connection within a few seconds.
std::vector<std::string> converse(const std::string &bytes);

} // namespace ferry::fuzz
