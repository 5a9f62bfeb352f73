#include "ctl/terminal_text.h"

#include <cstdint>

namespace ferry::ctl {

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
    size_t columns = 0;
    for (char c : shown)
        columns += (uint8_t(c) & 0xC0) != 0x80; // every byte but a continuation byte starts a code point
    return columns;
}

std::string padded(std::string shown, size_t width)
{
    const size_t columns = displayWidth(shown);
    if (columns < width)
        shown.append(width - columns, ' ');
    return shown;
}

std::string shownMember(const admin::Json &object, const char *key)
{
    return terminalText(admin::textMember(object, key));
}

} // namespace ferry::ctl
