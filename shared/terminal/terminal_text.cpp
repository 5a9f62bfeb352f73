#include "terminal/terminal_text.h"

#include <cstdint>
#include <cstring>
#include <cwchar>
#include <langinfo.h>
#include <locale.h>

// displayWidth() hands decoded code points to wcwidth() as wchar_t: that is only right where wchar_t
// holds ISO 10646 code points, as glibc and musl promise with this macro.
#if !defined(__STDC_ISO_10646__)
#error "wchar_t does not hold Unicode code points here; displayWidth() needs another width function"
#endif

namespace ferry::terminal {

namespace {

// The length of the valid UTF-8 sequence at the start of `text` and its code point; 0 if it is not one.
size_t decode(std::string_view text, char32_t &codePoint)
{
    const uint8_t lead = uint8_t(text[0]);
    if (lead < 0x80) {
        codePoint = lead;
        return 1;
    }
    // RFC 3629: a lead byte C2–DF takes one continuation byte, E0–EF two, F0–F4 three (C0, C1, F5–FF are
    // never lead bytes).
    const size_t length = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
                        : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
    if (length == 0 || text.size() < length)
        return 0;
    char32_t value = lead & (0x7F >> length);
    for (size_t i = 1; i < length; ++i) {
        const uint8_t next = uint8_t(text[i]);
        if ((next & 0xC0) != 0x80)
            return 0;
        value = value << 6 | (next & 0x3F);
    }
    const char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < smallest[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0; // overlong, beyond Unicode, or a surrogate
    codePoint = value;
    return length;
}

bool isControl(char32_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

// A UTF-8 LC_CTYPE for wcwidth() alone, made once; (locale_t)0 if the system has none. ferry-ctl itself
// stays in the "C" locale (where glibc's wcwidth() is -1 for everything beyond ASCII): displayWidth()
// switches to this one for its own thread only, with uselocale(), and back, so nothing else that reads
// the locale (number formatting, the JSON library, strerror) changes. "C.UTF-8" is built into glibc
// since 2.35 and shipped by Debian before that; the user's own locale is the last resort, if it is UTF-8.
locale_t utf8Ctype()
{
    static const locale_t ctype = [] {
        for (const char *name : {"C.UTF-8", "C.utf8", "en_US.UTF-8", ""}) {
            const locale_t candidate = newlocale(LC_CTYPE_MASK, name, locale_t(0));
            if (!candidate)
                continue;
            const char *codeset = nl_langinfo_l(CODESET, candidate);
            if (codeset && std::strcmp(codeset, "UTF-8") == 0)
                return candidate; // kept for the process's life: there is one
            freelocale(candidate);
        }
        return locale_t(0);
    }();
    return ctype;
}

// The columns one terminal-safe code point takes under `ctype`: 2 for East Asian wide and fullwidth
// characters (CJK, Hangul, most emoji), 0 for combining marks and other zero-width characters, else 1.
// What wcwidth() cannot place (-1: unassigned, or no UTF-8 locale at all) counts 1, as most terminals
// draw it (a replacement glyph).
size_t columnsOf(char32_t codePoint, locale_t ctype)
{
    if (!ctype)
        return 1;
    const int width = wcwidth(wchar_t(codePoint));
    return width < 0 ? 1 : size_t(width);
}

} // namespace

std::string terminalText(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        char32_t codePoint = 0;
        const size_t length = decode(text, codePoint);
        if (length == 0 || isControl(codePoint))
            out.push_back('?');
        else
            out.append(text.substr(0, length));
        text.remove_prefix(length == 0 ? 1 : length);
    }
    return out;
}

size_t displayWidth(std::string_view shown)
{
    const locale_t ctype = utf8Ctype();
    const locale_t previous = ctype ? uselocale(ctype) : locale_t(0);
    size_t columns = 0;
    while (!shown.empty()) {
        char32_t codePoint = 0;
        const size_t length = decode(shown, codePoint);
        // What terminalText() would show as '?' (a byte that is not UTF-8, a control) is one column.
        columns += length == 0 || isControl(codePoint) ? 1 : columnsOf(codePoint, ctype);
        shown.remove_prefix(length == 0 ? 1 : length);
    }
    if (ctype)
        uselocale(previous);
    return columns;
}

std::string padded(std::string shown, size_t width)
{
    const size_t columns = displayWidth(shown);
    if (columns < width)
        shown.append(width - columns, ' ');
    return shown;
}

} // namespace ferry::terminal
