// System notifications through the desktop's notification service (org.freedesktop.Notifications, the
// Desktop Notifications Specification that GNOME, KDE, Xfce, dunst and mako implement). The window uses it
// where there is no tray icon to carry the message: QSystemTrayIcon::showMessage needs a tray host, which
// many desktops no longer run although their notification service is there.
#pragma once

#include <QObject>
#include <QString>

namespace ferry::gui {

class DesktopNotifier : public QObject
{
    Q_OBJECT
public:
    static constexpr const char *Service = "org.freedesktop.Notifications";

    explicit DesktopNotifier(QObject *parent = nullptr);

    // Whether the session bus has a notification service now (one round trip to the bus).
    static bool isAvailable();
    // Sends the notification without waiting for the service; false when there is none.
    bool show(const QString &title, const QString &text, bool failure);

signals:
    // The service took the notification and gave it this id.
    void shown(uint id);
    // The service refused it or did not answer; `error` is D-Bus's message.
    void failed(const QString &error);
};

} // namespace ferry::gui
