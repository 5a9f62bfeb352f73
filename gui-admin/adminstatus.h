// The STATUS object of docs/ADMIN.md §4.1 as plain values. Unknown fields are ignored and missing ones
// keep their defaults, as the contract asks of clients; the raw JSON is kept for "Copy status as JSON".
#pragma once

#include "workerstate.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace ferry::admingui {

struct WorkerStatus {
    int slot = 0;
    qint64 pid = 0;
    qint64 generation = 0;
    ReportedState state; // nullopt: a state this version does not know
    QString stateName; // as the server spelled it, for states this client does not know
    QString peer;
    qint64 connection = 0;
    QString path;
    qint64 bytesSent = 0;
    qint64 bytesTotal = 0;
    qint64 throughputBps = -1; // measured by the server; -1 from a server that does not send it
    qint64 transferStartMs = 0;
    qint64 lastProgressMs = 0;
    qint64 requests = 0;
    qint64 openFds = -1;
    qint64 rssBytes = -1;
    qint64 cpuMs = -1;
    QString lastExit;

    static WorkerStatus fromJson(const QJsonObject &json);
};

struct PoolLimits {
    int minSpare = 0;
    int maxSpare = 0;
    int maxWorkers = 0;
    qint64 maxRequests = 0;
    qint64 stallTimeoutS = 0;

    static PoolLimits fromJson(const QJsonObject &json);
};

struct AdminStatus {
    bool valid = false;
    qint64 nowMs = 0;
    // server
    QString version;
    qint64 pid = 0;
    qint64 startedMs = 0;
    qint64 uptimeS = 0;
    qint64 generation = 0;
    QString listen;
    QString root;
    QString adminSocket;
    QString serverState; // accepting | draining | stopping
    QString identity;    // the fingerprint clients pin; "" without TLS (--plaintext only)
    QString plaintext;   // off | allow | only
    // pool
    int total = 0, idle = 0, busy = 0, starting = 0, stopping = 0, capacity = 0;
    qint64 maxWorkersReached = 0;
    qint64 pending = 0, pendingMax = 0, pendingLimit = 0, parked = 0;
    qint64 accepted = 0, rejectedBusy = 0, bytesSent = 0, throughputBps = 0;
    QString breakerState;
    qint64 recentCrashes = 0, backoffMs = 0;
    PoolLimits limits;
    qint64 ratePerConnection = 0, rateGlobal = 0;
    QList<WorkerStatus> workers; // ordered by slot
    QJsonObject raw;

    static AdminStatus fromJson(const QJsonObject &json);
};

} // namespace ferry::admingui
