#include "admincommands.h"

#include "statusjson.h"
#include "format.h"

#include <QCoreApplication>
#include <QHash>
#include <QJsonArray>
#include <QStringList>

namespace ferry::admingui {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("AdminCommands", text);
}

QJsonObject command(const char *name)
{
    return {{QStringLiteral("cmd"), QLatin1String(name)}};
}

QString scalarText(const QJsonValue &value)
{
    if (value.isBool())
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (value.isDouble())
        return QString::number(value.toInteger());
    return value.toString();
}

QString describeSuccess(const QString &cmd, const QJsonObject &reply)
{
    if (cmd == QLatin1String("pool")) {
        const PoolLimitsInfo l =
            admin::poolLimitsFromJson(toAdminJson(reply.value(QLatin1String("limits")).toObject()));
        return tr("ok: pool limits now min_spare=%1 max_spare=%2 max_workers=%3 max_requests=%4")
            .arg(l.minSpare).arg(l.maxSpare).arg(l.maxWorkers).arg(l.maxRequests);
    }
    if (cmd == QLatin1String("drain") || cmd == QLatin1String("resume"))
        return tr("ok: server is %1").arg(reply.value(QLatin1String("state")).toString());
    if (cmd == QLatin1String("reload"))
        return tr("ok: reloaded, generation %1").arg(reply.value(QLatin1String("generation")).toInteger());
    if (cmd == QLatin1String("kill_worker"))
        return tr("ok: worker pid %1 in slot %2 is being stopped")
            .arg(reply.value(QLatin1String("pid")).toInteger())
            .arg(reply.value(QLatin1String("slot")).toInteger());
    if (cmd == QLatin1String("rate_limit")) {
        const QJsonObject r = reply.value(QLatin1String("rate_limit")).toObject();
        QString text = tr("ok: rate limit per connection %1, global %2")
                           .arg(formatLimit(r.value(QLatin1String("per_connection")).toInteger()),
                                formatLimit(r.value(QLatin1String("global")).toInteger()));
        if (r.contains(QLatin1String("per_ip"))) // a server before per-address limits leaves it out
            text += tr(", per client address %1").arg(formatLimit(r.value(QLatin1String("per_ip")).toInteger()));
        return text;
    }
    if (cmd == QLatin1String("disconnect"))
        return tr("ok: connection %1 closed").arg(reply.value(QLatin1String("connection")).toInteger());
    return tr("ok");
}

} // namespace

namespace AdminCommands {

QJsonObject pool(const PoolLimitsInfo &limits)
{
    QJsonObject request = command("pool");
    request.insert(QStringLiteral("min_spare"), qint64(limits.minSpare));
    request.insert(QStringLiteral("max_spare"), qint64(limits.maxSpare));
    request.insert(QStringLiteral("max_workers"), qint64(limits.maxWorkers));
    request.insert(QStringLiteral("max_requests"), qint64(limits.maxRequests));
    return request;
}

QJsonObject drain() { return command("drain"); }
QJsonObject resume() { return command("resume"); }
QJsonObject reload() { return command("reload"); }
QJsonObject status() { return command("status"); }

QJsonObject killWorker(int slot, bool graceful)
{
    QJsonObject request = command("kill_worker");
    request.insert(QStringLiteral("slot"), slot);
    request.insert(QStringLiteral("graceful"), graceful);
    return request;
}

QJsonObject rateLimit(std::optional<qint64> perConnection, std::optional<qint64> global, std::optional<qint64> perIp)
{
    QJsonObject request = command("rate_limit");
    if (perConnection)
        request.insert(QStringLiteral("per_connection"), *perConnection);
    if (global)
        request.insert(QStringLiteral("global"), *global);
    if (perIp)
        request.insert(QStringLiteral("per_ip"), *perIp);
    return request;
}

QJsonObject disconnectConnection(qint64 connection)
{
    QJsonObject request = command("disconnect");
    request.insert(QStringLiteral("connection"), connection);
    return request;
}

QJsonObject disconnectSlot(int slot)
{
    QJsonObject request = command("disconnect");
    request.insert(QStringLiteral("slot"), slot);
    return request;
}

QString describeRequest(const QJsonObject &request)
{
    QStringList parts{request.value(QLatin1String("cmd")).toString()};
    for (auto it = request.begin(); it != request.end(); ++it) {
        if (it.key() != QLatin1String("cmd") && it.key() != QLatin1String("v") && it.key() != QLatin1String("id"))
            parts.append(it.key() + QLatin1Char('=') + scalarText(it.value()));
    }
    return parts.join(QLatin1Char(' '));
}

bool isSuccess(const QJsonObject &reply)
{
    return reply.value(QLatin1String("ok")).toBool();
}

QString describeReply(const QJsonObject &reply)
{
    const QString cmd = reply.value(QLatin1String("cmd")).toString();
    if (isSuccess(reply))
        return describeSuccess(cmd, reply);
    const QJsonObject error = reply.value(QLatin1String("error")).toObject();
    return QStringLiteral("%1: %2").arg(error.value(QLatin1String("code")).toString(QStringLiteral("error")),
                                        error.value(QLatin1String("message")).toString());
}

QString replyHeadline(const QJsonObject &reply)
{
    static const QHash<QString, const char *> done{
        {QStringLiteral("pool"), QT_TR_NOOP("Pool limits applied")},
        {QStringLiteral("drain"), QT_TR_NOOP("Draining: new connections are turned away")},
        {QStringLiteral("resume"), QT_TR_NOOP("Accepting connections again")},
        {QStringLiteral("reload"), QT_TR_NOOP("Configuration reloaded")},
        {QStringLiteral("kill_worker"), QT_TR_NOOP("Worker is being stopped")},
        {QStringLiteral("rate_limit"), QT_TR_NOOP("Rate limits applied")},
        {QStringLiteral("disconnect"), QT_TR_NOOP("Connection closed")},
    };
    const QString cmd = reply.value(QLatin1String("cmd")).toString();
    if (isSuccess(reply))
        return done.contains(cmd) ? tr(done.value(cmd)) : tr("Done");
    const QString message = reply.value(QLatin1String("error")).toObject().value(QLatin1String("message")).toString();
    return tr("Refused: %1").arg(message.isEmpty() ? tr("the server gave no reason") : message);
}

} // namespace AdminCommands

} // namespace ferry::admingui
