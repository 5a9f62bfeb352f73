// Telling systemd how the service is doing (Type=notify), without libsystemd: the documented protocol of
// sd_notify(3) is one datagram of "KEY=value" lines to the AF_UNIX socket named by $NOTIFY_SOCKET
// (a path, or an abstract name when it starts with '@'). Without $NOTIFY_SOCKET every call does nothing,
// so the server behaves the same when started by hand.
#pragma once

#include <string>

namespace ferry::systemd {

// Sends `state` ("READY=1", "STOPPING=1", ...; lines separated by '\n'). Returns 0 when sent or when not
// run by systemd, or an errno value; a failure is worth a warning, never fatal.
[[nodiscard]] int notify(const std::string &state);

// The messages the server sends, so that the wording lives in one place.
[[nodiscard]] int notifyReady(const std::string &status); // READY=1 and a STATUS= line
[[nodiscard]] int notifyReloading(); // RELOADING=1 with MONOTONIC_USEC (systemd >= 253 wants it)
[[nodiscard]] int notifyStopping();  // STOPPING=1

} // namespace ferry::systemd
