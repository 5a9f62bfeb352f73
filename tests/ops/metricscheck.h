// What the metrics tests share: the endpoint's address from the server's log, an HTTP exchange over a
// plain socket, and the judges operators use (promtool, Debian's prometheus_client parsers).
// Missing tools are failures, not skips: scripts/bootstrap installs them.
#pragma once

#include "serverprocess.h"

#include <QByteArray>
#include <QString>

namespace opstest {

// "HOST:PORT" from the server's "metrics on http://HOST:PORT/metrics" log line, or empty.
QString metricsAddress(const ServerProcess &server);

// Sends `request` raw and reads until the server closes (at most `timeoutMs`). The whole reply, or empty.
QByteArray exchange(const QString &hostPort, const QByteArray &request, int timeoutMs = 10000);

// Runs `program args` with `input` on stdin. exitCode -1 if it could not run; `out` has stdout and stderr.
struct ToolResult {
    int exitCode = -1;
    QByteArray out;
};
ToolResult runTool(const QString &program, const QStringList &args, const QByteArray &input);

// `promtool check metrics` (Prometheus text), or the prometheus_client parser of `format`
// ("prometheus" or "openmetrics"). Empty when the text is accepted, else the judge's complaint.
QString promtoolComplaint(const QByteArray &text);
QString parserComplaint(const QByteArray &text, const char *format);

} // namespace opstest
