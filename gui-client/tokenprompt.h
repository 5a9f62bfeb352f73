// The bar that asks for an access link or token when a server refuses without one.
#pragma once

#include <QFrame>

class QLabel;
class QLineEdit;
class QPushButton;

namespace ferry::gui {

// Shown above the browser when the server answers that this folder needs a token (or refused the one
// held). A person pastes a capability link or the bare token; the field hides what is typed, and nothing
// entered is shown anywhere else. Escape or the close button dismiss it.
class TokenPrompt : public QFrame
{
    Q_OBJECT
public:
    explicit TokenPrompt(QWidget *parent = nullptr);

    // `server` is "host:port"; `why` the server's refusal, shown below the question.
    void ask(const QString &server, const QString &why);
    // Shows `problem` (a link that does not parse, a token of the wrong form) and keeps the bar open.
    void refuse(const QString &problem);

signals:
    // What was pasted, trimmed: a ferry:// link or a token.
    void entered(const QString &linkOrToken);

private:
    void submit();

    QLabel *m_question;
    QLabel *m_detail;
    QLineEdit *m_field;
    QPushButton *m_use;
};

} // namespace ferry::gui
