#include "workerstate.h"

#include <QCoreApplication>

WorkerState workerStateFromString(const QString &name)
{
    static const struct {
        const char *name;
        WorkerState state;
    } table[] = {
        {"empty", WorkerState::Empty},     {"starting", WorkerState::Starting}, {"idle", WorkerState::Idle},
        {"reading", WorkerState::Reading}, {"sending", WorkerState::Sending},   {"parking", WorkerState::Parking},
        {"stopping", WorkerState::Stopping},
    };
    for (const auto &entry : table) {
        if (name == QLatin1String(entry.name))
            return entry.state;
    }
    return WorkerState::Unknown;
}

QString workerStateName(WorkerState state)
{
    switch (state) {
    case WorkerState::Empty: return QStringLiteral("empty");
    case WorkerState::Starting: return QStringLiteral("starting");
    case WorkerState::Idle: return QStringLiteral("idle");
    case WorkerState::Reading: return QStringLiteral("reading");
    case WorkerState::Sending: return QStringLiteral("sending");
    case WorkerState::Parking: return QStringLiteral("parking");
    case WorkerState::Stopping: return QStringLiteral("stopping");
    case WorkerState::Unknown: return QStringLiteral("unknown");
    }
    return {};
}

QChar workerStateLetter(WorkerState state)
{
    switch (state) {
    case WorkerState::Empty: return QLatin1Char('.');
    case WorkerState::Starting: return QLatin1Char('S');
    case WorkerState::Idle: return QLatin1Char('_');
    case WorkerState::Reading: return QLatin1Char('R');
    case WorkerState::Sending: return QLatin1Char('W');
    case WorkerState::Parking: return QLatin1Char('K');
    case WorkerState::Stopping: return QLatin1Char('G');
    case WorkerState::Unknown: return QLatin1Char('?');
    }
    return QLatin1Char('?');
}

QColor workerStateColor(WorkerState state)
{
    // Busy states are warm and saturated, resting states pale, so a glance at the strip shows the load.
    switch (state) {
    case WorkerState::Empty: return QColor(0xee, 0xee, 0xee);
    case WorkerState::Starting: return QColor(0x8e, 0xc5, 0xf0);
    case WorkerState::Idle: return QColor(0xc8, 0xe6, 0xc9);
    case WorkerState::Reading: return QColor(0xff, 0xc1, 0x07);
    case WorkerState::Sending: return QColor(0x2e, 0x9d, 0x4f);
    case WorkerState::Parking: return QColor(0x26, 0xa6, 0x9a);
    case WorkerState::Stopping: return QColor(0xe5, 0x73, 0x73);
    case WorkerState::Unknown: return QColor(0x9e, 0x9e, 0x9e);
    }
    return Qt::gray;
}

QString workerStateDescription(WorkerState state)
{
    switch (state) {
    case WorkerState::Empty: return QCoreApplication::translate("WorkerState", "open slot, no process");
    case WorkerState::Starting: return QCoreApplication::translate("WorkerState", "forked, not ready yet");
    case WorkerState::Idle: return QCoreApplication::translate("WorkerState", "waiting for a connection");
    case WorkerState::Reading: return QCoreApplication::translate("WorkerState", "reading a request");
    case WorkerState::Sending: return QCoreApplication::translate("WorkerState", "sending a response");
    case WorkerState::Parking: return QCoreApplication::translate("WorkerState", "handing a keep-alive connection back");
    case WorkerState::Stopping: return QCoreApplication::translate("WorkerState", "asked to exit, finishing first");
    case WorkerState::Unknown: return QCoreApplication::translate("WorkerState", "state not known to this version");
    }
    return {};
}

bool isBusyState(WorkerState state)
{
    return state == WorkerState::Reading || state == WorkerState::Sending || state == WorkerState::Parking;
}
