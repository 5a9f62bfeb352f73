// The log panel: every command sent and the server's answer to it, time-stamped, newest at the bottom.
// Answers go here instead of into dialogs, so a burst of commands never becomes a storm of pop-ups.
#pragma once

#include <QPlainTextEdit>

namespace ferry::admingui {

class CommandLog : public QPlainTextEdit
{
    Q_OBJECT
public:
    // Request/Success/Failure are a command and the server's answer; Note and Warning are the window's own words.
    enum class Kind { Request, Success, Failure, Note, Warning };

    explicit CommandLog(QWidget *parent = nullptr);

    void add(Kind kind, const QString &text);
    // The last line added, without time stamp (for tests and the status line).
    QString lastText() const { return m_last; }

private:
    QString m_last;
};

} // namespace ferry::admingui
