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

QByteArray withControlsEscaped(const QByteArray &json)
{
    QByteArray out;
    out.reserve(json.size());
    for (qsizetype i = 0; i < json.size(); ++i) {
        const auto byte = static_cast<unsigned char>(json[i]);
        const bool c1 = byte == 0xc2 && i + 1 < json.size() && static_cast<unsigned char>(json[i + 1]) >= 0x80
                        && static_cast<unsigned char>(json[i + 1]) <= 0x9f;
        if (byte == 0x7f || c1) { // only inside strings: JSON has these bytes nowhere else
            const unsigned code = c1 ? static_cast<unsigned char>(json[++i]) : byte;
            out += "\\u00" + QByteArray::number(code, 16).rightJustified(2, '0');
        } else {
            out += char(byte);
        }
    }
    return out;
}

QString textFor(std::FILE *stream, const QString &text)
{
    return isatty(fileno(stream)) ? shownText(text) : text;
}

} // namespace ferry::get
