// Waiting on a condition whose every check is a call with side effects: a status query over the admin
// socket, a connection attempt. Such a call must never sit inside QTRY_*, which evaluates its expression
// again after it first held (README.md, "Pitfalls"), and an assignment inside QTRY_* is the same mistake.
//
//     const Json worker = pollUntil([&] { return workerServing(server.status(), "big.bin"); },
//                                   [](const Json &w) { return !w.is_null(); }, 10000);
//     QVERIFY(!worker.is_null());
#pragma once

#include <QDeadlineTimer>
#include <QTest>

#include <type_traits>

namespace ferrytest {

// Calls `probe()` once per try until `done(value)` holds or `timeoutMs` has passed, letting the event loop
// run for `intervalMs` between tries (20 ms, as QTRY_* does, unless a try costs more: see
// adminrequest.h), and returns the last value for the test to assert on.
template <typename Probe, typename Done>
std::decay_t<std::invoke_result_t<Probe &>> pollUntil(Probe &&probe, Done &&done, int timeoutMs, int intervalMs = 20)
{
    const QDeadlineTimer deadline(timeoutMs);
    auto value = probe();
    while (!done(value) && !deadline.hasExpired()) {
        QTest::qWait(intervalMs);
        value = probe();
    }
    return value;
}

} // namespace ferrytest
