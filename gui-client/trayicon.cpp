#include "trayicon.h"

#include <QApplication>
#include <QSystemTrayIcon>
#include <QWidget>

namespace ferry::gui {

TrayIcon::TrayIcon(QWidget *window)
    : QObject(window)
    , m_window(window)
{
}

bool TrayIcon::setEnabled(bool enabled)
{
    if (!enabled || !QSystemTrayIcon::isSystemTrayAvailable()) {
        delete m_icon;
        m_icon = nullptr;
        return !enabled;
    }
    if (m_icon)
        return true;
    m_icon = new QSystemTrayIcon(QApplication::windowIcon(), this);
    m_icon->setToolTip(QApplication::applicationDisplayName());
    connect(m_icon, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason != QSystemTrayIcon::Trigger)
            return;
        m_window->setVisible(!m_window->isVisible() || m_window->isMinimized());
        if (m_window->isVisible()) {
            m_window->showNormal();
            m_window->activateWindow();
        }
    });
    m_icon->show();
    return true;
}

bool TrayIcon::isVisible() const
{
    return m_icon && m_icon->isVisible();
}

void TrayIcon::setToolTip(const QString &text)
{
    if (m_icon)
        m_icon->setToolTip(text);
}

void TrayIcon::showMessage(const QString &title, const QString &text, bool failure)
{
    if (m_icon)
        m_icon->showMessage(title, text, failure ? QSystemTrayIcon::Warning : QSystemTrayIcon::Information);
}

} // namespace ferry::gui
