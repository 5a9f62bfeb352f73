#include "workerstate.h"

#include <QCoreApplication>

namespace ferry::admingui {

ReportedState workerStateFromString(const QString &name)
{
    return server::workerStateFromName(name.toStdString());
}

ReportedState reportedState(const std::string &name)
{
    return server::workerStateFromName(name);
}

QString reportedStateName(ReportedState state)
{
    if (!state)
        return QStringLiteral("unknown");
    const std::string_view name = server::workerStateName(*state);
    return QString::fromLatin1(name.data(), qsizetype(name.size()));
}

QChar reportedStateLetter(ReportedState state)
{
    return QLatin1Char(state ? server::workerStateLetter(*state) : '?');
}

QColor workerStateColor(ReportedState state)
{
    if (!state)
        return QColor(0x9e, 0x9e, 0x9e);
    // Busy states are warm and saturated, resting states pale, so a glance at the strip shows the load.
    switch (*state) {
    case WorkerState::Empty: return QColor(0xee, 0xee, 0xee);
    case WorkerState::Starting: return QColor(0x8e, 0xc5, 0xf0);
    case WorkerState::Idle: return QColor(0xc8, 0xe6, 0xc9);
    case WorkerState::Reading: return QColor(0xff, 0xc1, 0x07);
    case WorkerState::Sending: return QColor(0x2e, 0x9d, 0x4f);
    case WorkerState::Stopping: return QColor(0xe5, 0x73, 0x73);
    }
    return Qt::gray;
}

QString workerStateDescription(ReportedState state)
{
    if (!state)
        return QCoreApplication::translate("WorkerState", "state not known to this version");
    switch (*state) {
    case WorkerState::Empty: return QCoreApplication::translate("WorkerState", "open slot, no process");
    case WorkerState::Starting: return QCoreApplication::translate("WorkerState", "forked, not ready yet");
    case WorkerState::Idle: return QCoreApplication::translate("WorkerState", "waiting for a connection");
    case WorkerState::Reading: return QCoreApplication::translate("WorkerState", "reading a request");
    case WorkerState::Sending: return QCoreApplication::translate("WorkerState", "sending a response");
    case WorkerState::Stopping: return QCoreApplication::translate("WorkerState", "asked to exit, finishing first");
    }
    return {};
}

bool isBusyState(ReportedState state)
{
    return state && server::isBusy(*state);
}

int stateRoleValue(ReportedState state)
{
    return state ? int(*state) : -1;
}

ReportedState stateFromRoleValue(int value)
{
    for (WorkerState state : server::AllWorkerStates)
        if (int(state) == value)
            return state;
    return std::nullopt;
}

} // namespace ferry::admingui
