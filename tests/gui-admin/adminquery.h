// A blocking one-shot admin client for assertions: asks the server directly, independent of the window
// under test, what its status is (docs/ADMIN.md §4.1).
#pragma once

#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>

namespace admintest {

// The STATUS object, or an empty object if the server could not be asked.
inline QJsonObject queryStatus(const QString &socketPath, int timeoutMs = 10000)
{
    QLocalSocket socket;
    socket.connectToServer(socketPath);
    if (!socket.waitForConnected(timeoutMs))
        return {};
    const auto readLine = [&]() -> QJsonObject {
        while (!socket.canReadLine()) {
            if (!socket.waitForReadyRead(timeoutMs))
                return {};
        }
        return QJsonDocument::fromJson(socket.readLine()).object();
    };
    if (readLine().value(QStringLiteral("event")).toString() != QLatin1String("hello"))
        return {};
    socket.write("{\"v\":1,\"id\":1,\"cmd\":\"status\"}\n");
    socket.flush();
    const QJsonObject reply = readLine();
    return reply.value(QStringLiteral("status")).toObject();
}

} // namespace admintest
