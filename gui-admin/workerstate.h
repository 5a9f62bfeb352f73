// Worker states as docs/ADMIN.md §4.1 names them, with the mod_status letter, a label and a colour,
// so the table, the scoreboard strip and the legend all speak the same language.
#pragma once

#include <QColor>
#include <QString>

enum class WorkerState {
    Empty, // a scoreboard slot without a process (never in `workers`, only in the strip)
    Starting,
    Idle,
    Reading,
    Sending,
    Parking,
    Stopping,
    Unknown, // a state a newer server may report; shown as it came
};

constexpr int WorkerStateCount = 8;

WorkerState workerStateFromString(const QString &name);
QString workerStateName(WorkerState state);
// The mod_status-style letter: S _ R W K G . and ? for Unknown.
QChar workerStateLetter(WorkerState state);
// The fill colour of the state in the strip and in the table's state column.
QColor workerStateColor(WorkerState state);
// A one-line explanation for the legend and tooltips.
QString workerStateDescription(WorkerState state);
// reading, sending and parking count as busy (ADMIN.md: pool totals).
bool isBusyState(WorkerState state);
