// The command requests of docs/ADMIN.md §5 as JSON objects, and one-line descriptions of requests and
// replies for the log panel and the status line. Pure functions: the window sends, these only build and read.
#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

namespace ferry::admin {
struct PoolLimitsInfo;
}

namespace ferry::admingui {

namespace AdminCommands {

QJsonObject pool(const admin::PoolLimitsInfo &limits);
QJsonObject drain();
QJsonObject resume();
QJsonObject reload();
QJsonObject killWorker(int slot, bool graceful);
// nullopt keeps the server's value; perIp is the per-client-address rate (ferry-ctl rate-limit --per-ip).
QJsonObject rateLimit(std::optional<qint64> perConnection, std::optional<qint64> global,
                      std::optional<qint64> perIp = std::nullopt);
QJsonObject disconnectConnection(qint64 connection);
QJsonObject disconnectSlot(int slot);
QJsonObject status();

// "kill_worker slot=3 graceful=false"
QString describeRequest(const QJsonObject &request);
// "ok: killed pid 4253 in slot 3" or "not_found: no worker in slot 9".
QString describeReply(const QJsonObject &reply);
// A few words for the status bar: "Pool limits applied", or on failure the server's reason.
QString replyHeadline(const QJsonObject &reply);
bool isSuccess(const QJsonObject &reply);

} // namespace AdminCommands

} // namespace ferry::admingui
