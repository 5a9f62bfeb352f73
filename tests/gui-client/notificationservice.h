// A private D-Bus session bus (a real dbus-daemon) with a receiver of org.freedesktop.Notifications on
// it, so a test sees exactly what the app sends to a desktop's notification service. The receiver stands
// in for the daemon (dunst, GNOME Shell…), which needs a display; the bus and the calls are real.
// Start it before anything uses QDBusConnection::sessionBus(), which binds to the bus of its first call.
#pragma once

#include <QDBusConnection>
#include <QDBusError>
#include <QObject>
#include <QProcess>
#include <QStandardPaths>
#include <QVariantMap>

#include <memory>

namespace guitest {

struct ReceivedNotification {
    QString app, icon, summary, body;
    QVariantMap hints;
};

class NotificationService : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.Notifications")
public:
    ~NotificationService() override
    {
        if (m_daemon) {
            QDBusConnection::disconnectFromBus(QStringLiteral("notification-service"));
            m_daemon->kill();
            m_daemon->waitForFinished();
        }
    }

    // Starts the bus, points DBUS_SESSION_BUS_ADDRESS at it and takes the service name; "" or why not.
    QString start()
    {
        const QString program = QStandardPaths::findExecutable(QStringLiteral("dbus-daemon"));
        if (program.isEmpty())
            return QStringLiteral("dbus-daemon is not installed");
        m_daemon = std::make_unique<QProcess>();
        m_daemon->start(program, {QStringLiteral("--session"), QStringLiteral("--nofork"),
                                  QStringLiteral("--print-address=1")});
        if (!m_daemon->waitForStarted() || !m_daemon->waitForReadyRead(10000))
            return QStringLiteral("dbus-daemon printed no address");
        const QByteArray address = m_daemon->readLine().trimmed();
        qputenv("DBUS_SESSION_BUS_ADDRESS", address);
        QDBusConnection bus = QDBusConnection::connectToBus(QString::fromUtf8(address),
                                                            QStringLiteral("notification-service"));
        if (!bus.registerObject(QStringLiteral("/org/freedesktop/Notifications"), this, QDBusConnection::ExportAllSlots)
            || !bus.registerService(QStringLiteral("org.freedesktop.Notifications")))
            return QStringLiteral("cannot serve org.freedesktop.Notifications: ") + bus.lastError().message();
        return {};
    }

    QList<ReceivedNotification> received;

public Q_SLOTS:
    // The Desktop Notifications Specification's Notify.
    uint Notify(const QString &app, uint replacesId, const QString &icon, const QString &summary,
                const QString &body, const QStringList &actions, const QVariantMap &hints, int timeoutMs)
    {
        Q_UNUSED(replacesId);
        Q_UNUSED(actions);
        Q_UNUSED(timeoutMs);
        received.append({app, icon, summary, body, hints});
        return uint(received.size());
    }

private:
    std::unique_ptr<QProcess> m_daemon;
};

} // namespace guitest
