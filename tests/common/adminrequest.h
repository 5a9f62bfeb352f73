// One blocking request on a server's admin socket (docs/ADMIN.md), for tests outside tests/admin
// that need to look at or steer a running server: the pool's pending and parked counts, a
// disconnect. Qt only, so any test linking ferry-testsupport can use it.
//
//     const QJsonObject pool = ferrytest::adminStatus(server.adminSocketPath()).value("pool").toObject();
//     QJsonObject reply = ferrytest::adminCall(path, {{"cmd", "disconnect"}, {"connection", 7}});
#pragma once

#include <QJsonObject>
#include <QString>

namespace ferrytest {

// Sends `request` (with "v" and "id" added) and returns its reply, skipping pushed events; an empty
// object if the socket could not be reached or no reply came within `timeoutMs`.
QJsonObject adminCall(const QString &socketPath, QJsonObject request, int timeoutMs = 10000);
// The STATUS object of a `status` request, or an empty object.
QJsonObject adminStatus(const QString &socketPath, int timeoutMs = 10000);

} // namespace ferrytest
