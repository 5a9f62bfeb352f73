#include "adminrequest.h"

#include "polling.h"

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QLocalSocket>

#include <algorithm>

namespace ferrytest {

namespace {

// The next complete line as JSON, or an empty object once `deadline` expires.
QJsonObject readObject(QLocalSocket &socket, const QDeadlineTimer &deadline)
{
    while (!socket.canReadLine()) {
        if (deadline.hasExpired() || !socket.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime()))))
            return {};
    }
    return QJsonDocument::fromJson(socket.readLine()).object();
}

} // namespace

QJsonObject adminCall(const QString &socketPath, QJsonObject request, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    QLocalSocket socket;
    socket.connectToServer(socketPath);
    if (!socket.waitForConnected(timeoutMs))
        return {};
    request.insert(QStringLiteral("v"), 1);
    request.insert(QStringLiteral("id"), 1);
    socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    while (socket.bytesToWrite() > 0) {
        if (!socket.waitForBytesWritten(timeoutMs))
            return {};
    }
    for (;;) {
        const QJsonObject message = readObject(socket, deadline);
        if (message.isEmpty() || !message.contains(QStringLiteral("event")))
            return message; // replies never carry "event" (docs/ADMIN.md §2)
    }
}

QJsonObject adminStatus(const QString &socketPath, int timeoutMs)
{
    return adminCall(socketPath, {{QStringLiteral("cmd"), QStringLiteral("status")}}, timeoutMs)
        .value(QStringLiteral("status"))
        .toObject();
}

QJsonObject awaitAdminStatus(const QString &socketPath, const AdminStatusCheck &done, int timeoutMs)
{
    return pollUntil([&] { return adminStatus(socketPath); }, done, timeoutMs, AdminPollIntervalMs);
}

} // namespace ferrytest
