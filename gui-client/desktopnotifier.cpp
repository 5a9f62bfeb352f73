#include "desktopnotifier.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QVariantMap>

namespace ferry::gui {

DesktopNotifier::DesktopNotifier(QObject *parent) : QObject(parent) {}

bool DesktopNotifier::isAvailable()
{
    const QDBusConnection bus = QDBusConnection::sessionBus();
    return bus.isConnected() && bus.interface() && bus.interface()->isServiceRegistered(QLatin1String(Service));
}

bool DesktopNotifier::show(const QString &title, const QString &text, bool failure)
{
    if (!isAvailable())
        return false;
    QDBusMessage call = QDBusMessage::createMethodCall(QLatin1String(Service),
                                                       QStringLiteral("/org/freedesktop/Notifications"),
                                                       QLatin1String(Service), QStringLiteral("Notify"));
    // Urgency 1 is normal, 2 critical: a failure stays until the user has seen it, where the service
    // honours that. The desktop entry lets the service show the app's name and icon.
    const QVariantMap hints{{QStringLiteral("urgency"), QVariant::fromValue(uchar(failure ? 2 : 1))},
                            {QStringLiteral("desktop-entry"), QStringLiteral("org.ferry.Downloader")}};
    call << QStringLiteral("Ferry Downloader") << uint(0) << QStringLiteral("org.ferry.Downloader") << title << text
         << QStringList() << hints << int(-1);
    auto *watcher = new QDBusPendingCallWatcher(QDBusConnection::sessionBus().asyncCall(call), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher *w) {
        const QDBusPendingReply<uint> reply = *w;
        if (reply.isError())
            emit failed(reply.error().message());
        else
            emit shown(reply.value());
        w->deleteLater();
    });
    return true;
}

} // namespace ferry::gui
