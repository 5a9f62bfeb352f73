#include "terminaltext.h"

#include <unistd.h>

namespace ferry::get {

namespace {

bool terminalMayObey(char16_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

} // namespace

QString shownText(const QString &text)
{
    QString shown;
    shown.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c.isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate()) {
            shown += c; // a pair: one character beyond U+FFFF (an emoji, say), harmless
            shown += text.at(++i);
        } else if (c.isSurrogate() || terminalMayObey(c.unicode())) {
            shown += u'?';
        } else {
            shown += c;
        }
    }
    return shown;
}

QString textFor(std::FILE *stream, const QString &text)
{
    return isatty(fileno(stream)) ? shownText(text) : text;
}

} // namespace ferry::get
