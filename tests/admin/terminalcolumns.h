// The columns a terminal draws for a line of ferry-ctl's output, worked out apart from the code under test
// (which asks the C library's wcwidth()): two for the East Asian wide and fullwidth ranges of UAX #11 that
// the tests' text uses (CJK, kana, Hangul, fullwidth forms, emoji), none for the combining marks Qt's own
// Unicode tables name, one for everything else.
#pragma once

#include <QList>
#include <QString>

namespace ctltest {

inline bool isWide(char32_t c)
{
    return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F)
           || (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F)
           || (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F)
           || (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

inline qsizetype terminalColumns(const QString &text)
{
    qsizetype columns = 0;
    for (const char32_t c : text.toUcs4()) {
        const QChar::Category category = QChar::category(c);
        if (category == QChar::Mark_NonSpacing || category == QChar::Mark_Enclosing)
            continue;
        columns += isWide(c) ? 2 : 1;
    }
    return columns;
}

// The display column where `needle` begins in `row`; -1 if it is not there.
inline qsizetype columnOf(const QString &row, const QString &needle)
{
    const qsizetype at = row.indexOf(needle);
    return at < 0 ? -1 : terminalColumns(row.left(at));
}

} // namespace ctltest
