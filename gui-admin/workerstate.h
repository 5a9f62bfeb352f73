// How Ferry Admin shows the admin protocol's worker states (server/base/worker_state.h, the one vocabulary
// of server, ferry-ctl and this app): a colour and a one-line description per state, so the table, the
// scoreboard strip and the legend all speak the same language. Names and letters come from that header.
#pragma once

#include "base/worker_state.h"

#include <QColor>
#include <QString>

#include <optional>
#include <string>

namespace ferry::admingui {

using server::WorkerState;
// A state as a status reply names it: nullopt for a name this version does not know (a newer server's),
// which the app shows as the server spelled it.
using ReportedState = std::optional<WorkerState>;

ReportedState workerStateFromString(const QString &name);
// The same for a name as adminproto's WorkerInfo carries it.
ReportedState reportedState(const std::string &name);
// "unknown" for a state this version does not know.
QString reportedStateName(ReportedState state);
// The mod_status-style letter: S _ R W G . and ? for a state this version does not know.
QChar reportedStateLetter(ReportedState state);
// The fill colour of the state in the strip and in the table's state column.
QColor workerStateColor(ReportedState state);
// A one-line explanation for the legend and tooltips.
QString workerStateDescription(ReportedState state);
// Serving a request (ADMIN.md: pool totals count reading and sending as busy).
bool isBusyState(ReportedState state);

// For models: a state as an int role value and back (-1 for a state this version does not know).
int stateRoleValue(ReportedState state);
ReportedState stateFromRoleValue(int value);

} // namespace ferry::admingui
