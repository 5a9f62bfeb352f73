// One blocking request on a server's admin socket (docs/ADMIN.md), for tests outside tests/admin
// that need to look at or steer a running server: the pool's pending and parked counts, a
// disconnect. Qt only, so any test linking ferry-testsupport can use it.
//
//     const QJsonObject pool = ferrytest::adminStatus(server.adminSocketPath()).value("pool").toObject();
//     QJsonObject reply = ferrytest::adminCall(path, {{"cmd", "disconnect"}, {"connection", 7}});
//     const QJsonObject status = ferrytest::awaitAdminStatus(path, [](const QJsonObject &s) { ... }, 10000);
#pragma once

#include <QJsonObject>
#include <QString>

#include <functional>

namespace ferrytest {

// Sends `request` (with "v" and "id" added) and returns its reply, skipping pushed events; an empty
// object if the socket could not be reached or no reply came within `timeoutMs`.
QJsonObject adminCall(const QString &socketPath, QJsonObject request, int timeoutMs = 10000);
// The STATUS object of a `status` request, or an empty object.
QJsonObject adminStatus(const QString &socketPath, int timeoutMs = 10000);

// How often the wait below asks. Each ask is a connection the server accepts, greets and answers with a
// whole status (and, from a QTRY_*, one more ask after the condition held): at 50 ms a 10 s wait asks at
// most 200 times, and a condition that holds is still seen within a twentieth of a second.
constexpr int AdminPollIntervalMs = 50;
using AdminStatusCheck = std::function<bool(const QJsonObject &status)>;
// Asks for the STATUS object every AdminPollIntervalMs until `done(status)` holds or `timeoutMs` has
// passed, and returns the last one for the test to assert on: how a test waits for something only the
// admin plane shows, never with a status query inside QTRY_* (README.md, "Pitfalls").
QJsonObject awaitAdminStatus(const QString &socketPath, const AdminStatusCheck &done, int timeoutMs = 10000);

} // namespace ferrytest
