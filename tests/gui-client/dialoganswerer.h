// Answering modal dialogs from a timer, so that a test never blocks on one.
#pragma once

#include <QAbstractButton>
#include <QApplication>
#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QTimer>

#include <functional>

namespace guitest {

// Watches for the next modal dialog and hands it to `answer` once it shows; `seen` tells
// whether one came. The watch ends after `timeoutMs` so a test without a dialog goes on.
class DialogAnswerer : public QObject
{
public:
    DialogAnswerer(std::function<void(QDialog *)> answer, int timeoutMs = 3000)
        : m_answer(std::move(answer))
    {
        m_deadline.start();
        m_timer.setInterval(20);
        connect(&m_timer, &QTimer::timeout, this, [this, timeoutMs] {
            auto *dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget());
            if (dialog && dialog->isVisible()) {
                m_timer.stop();
                seen = true;
                text = dialogText(dialog);
                m_answer(dialog);
            } else if (m_deadline.elapsed() > timeoutMs) {
                m_timer.stop();
            }
        });
        m_timer.start();
    }
    bool seen = false;
    QString text;

private:
    static QString dialogText(QDialog *dialog)
    {
        QStringList parts;
        for (const QLabel *label : dialog->findChildren<QLabel *>())
            parts << label->text();
        return parts.join(u'\n');
    }
    std::function<void(QDialog *)> m_answer;
    QTimer m_timer;
    QElapsedTimer m_deadline;
};

inline QCheckBox *check(QDialog *dialog, const char *name)
{
    return dialog->findChild<QCheckBox *>(QLatin1String(name));
}

inline void press(QDialog *dialog, QDialogButtonBox::ButtonRole role)
{
    for (QAbstractButton *button : dialog->findChild<QDialogButtonBox *>()->buttons()) {
        if (dialog->findChild<QDialogButtonBox *>()->buttonRole(button) == role) {
            button->click();
            return;
        }
    }
}

} // namespace guitest
