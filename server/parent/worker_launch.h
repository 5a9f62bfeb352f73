// The first moments of a worker process, in the child right after fork().
#pragma once

#include "worker/worker.h"

namespace ferry::server {

// Resets signal handling, closes every inherited fd except the worker's channel and the root, names the
// process "ferry-worker", runs the worker and _exit()s with its code: never returns into the parent's
// code (no destructors of the parent's objects run in the child).
[[noreturn]] void becomeWorker(WorkerContext &context);

} // namespace ferry::server
