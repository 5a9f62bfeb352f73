#include "terminaltext.h"

#include "terminal/terminal_json.h"
#include "terminal/terminal_text.h"

#include <unistd.h>

namespace ferry::get {

QString shownText(const QString &text)
{
    // A lone surrogate has no UTF-8 form: toStdString() writes a replacement for it, never the surrogate.
    return QString::fromStdString(terminal::terminalText(text.toStdString()));
}

QByteArray withControlsEscaped(const QByteArray &json)
{
    return QByteArray::fromStdString(terminal::terminalJsonText(json.toStdString()));
}

QString textFor(std::FILE *stream, const QString &text)
{
    return isatty(fileno(stream)) ? shownText(text) : text;
}

} // namespace ferry::get
