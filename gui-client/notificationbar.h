// A notification inside the window, for desktops without a tray or notification service.
#pragma once

#include <QFrame>
#include <QTimer>

class QLabel;
class QPushButton;
class QToolButton;

namespace ferry::gui {

// One line above the status bar: an icon, the message, Open (when a file goes with
// it) and a close button; Escape closes it while it has focus. It hides by itself
// after a while: a newer message replaces it.
class NotificationBar : public QFrame
{
    Q_OBJECT
public:
    static constexpr int ShowMs = 15000;

    explicit NotificationBar(QWidget *parent = nullptr);

    void showMessage(const QString &title, const QString &text, const QString &filePath, bool failure);
    QString text() const;

private:
    QLabel *m_icon;
    QLabel *m_text;
    QPushButton *m_open;
    QToolButton *m_close;
    QString m_filePath;
    QTimer m_hide;
};

} // namespace ferry::gui
