// The optional tray icon: overall progress in its tooltip, notifications as its messages.
#pragma once

#include <QObject>

class QSystemTrayIcon;
class QWidget;

namespace ferry::gui {

// Exists only while enabled and while the desktop has a tray; clicking it shows or
// hides the window.
class TrayIcon : public QObject
{
    Q_OBJECT
public:
    explicit TrayIcon(QWidget *window);

    // Shows or removes the icon; false if the desktop has no tray.
    bool setEnabled(bool enabled);
    bool isVisible() const;
    void setToolTip(const QString &text);
    void showMessage(const QString &title, const QString &text, bool failure);

private:
    QWidget *m_window;
    QSystemTrayIcon *m_icon = nullptr;
};

} // namespace ferry::gui
