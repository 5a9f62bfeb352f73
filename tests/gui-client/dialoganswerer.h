// Answering modal dialogs from a timer, so that a test never blocks on one.
#pragma once

#include <QAbstractButton>
#include <QApplication>
#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QPointer>
#include <QTimer>

#include <functional>

namespace guitest {

// Watches for the next modal dialog and hands it to `answer` once it shows; `seen` tells
// whether one came. The watch lasts as long as this object, with no deadline of its own: a dialog
// that a loaded machine shows late must still be answered, or its exec() would block the test
// until ctest kills it. A dialog that `answer` leaves open (a failed QVERIFY inside it returns
// early) is rejected, so that a failure is reported instead of hanging.
class DialogAnswerer : public QObject
{
public:
    explicit DialogAnswerer(std::function<void(QDialog *)> answer)
        : m_answer(std::move(answer))
    {
        m_timer.setInterval(20);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            auto *dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget());
            if (!dialog || !dialog->isVisible())
                return;
            m_timer.stop();
            seen = true;
            text = dialogText(dialog);
            const QPointer<QDialog> asked(dialog); // an answer may close and delete it
            m_answer(dialog);
            if (asked && asked->isVisible())
                asked->reject();
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
