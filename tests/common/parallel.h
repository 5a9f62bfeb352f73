// Running blocking test clients side by side: plain threads, no event loop needed.
#pragma once

#include <functional>
#include <thread>
#include <vector>

namespace ferrytest {

// Calls job(i) for every i in [0, count) spread over `threads` threads (job i
// runs on thread i % threads, in order) and returns when all are done. Jobs
// must not use QTest macros (they are not thread-safe): record results and
// assert on them afterwards in the test's own thread.
inline void runInThreads(int count, int threads, const std::function<void(int)> &job)
{
    std::vector<std::thread> pool;
    pool.reserve(size_t(threads));
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([t, count, threads, &job] {
            for (int i = t; i < count; i += threads) {
                job(i);
            }
        });
    }
    for (std::thread &thread : pool) {
        thread.join();
    }
}

} // namespace ferrytest
