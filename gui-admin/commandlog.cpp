#include "commandlog.h"

#include <QTime>

namespace ferry::admingui {

namespace {

// The log is for the session at hand; older lines go so a long-running window stays small.
constexpr int MaxLines = 2000;

} // namespace

CommandLog::CommandLog(QWidget *parent) : QPlainTextEdit(parent)
{
    setReadOnly(true);
    setMaximumBlockCount(MaxLines);
    setPlaceholderText(tr("Commands and the server's answers appear here."));
    setObjectName(QStringLiteral("commandLog"));
}

void CommandLog::add(Kind kind, const QString &text)
{
    m_last = text;
    const char *color = "#424242";
    const char *mark = "·";
    switch (kind) {
    case Kind::Request: color = "#1565c0"; mark = "→"; break;
    case Kind::Success: color = "#2e7d32"; mark = "←"; break;
    case Kind::Failure: color = "#c62828"; mark = "←"; break;
    case Kind::Warning: color = "#c62828"; mark = "!"; break;
    case Kind::Note: break;
    }
    appendHtml(QStringLiteral("<span style=\"color:#757575\">%1</span> <span style=\"color:%2\">%3 %4</span>")
                   .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")), QLatin1String(color),
                        QString::fromUtf8(mark), text.toHtmlEscaped()));
}

} // namespace ferry::admingui
