// libFuzzer target: the terminal-safe text of ferry-ctl, ferry-get and the log (shared/terminal), which decodes UTF-8 from
// whatever a client, a token maker or the audit file chose. Checked on every input besides the sanitizers':
//   - the output is valid UTF-8 holding no C0 control, DEL or C1 control;
//   - it has exactly one code point per input code point or invalid byte, so never more bytes than the input;
//   - valid UTF-8 without controls comes out unchanged, and a second pass changes nothing;
//   - displayWidth() measures the input as what it is shown as, at most two columns a character.
#include "ctl/terminal_text.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz_terminal_text: %s\n", what);
    std::abort();
}

// Code points of valid UTF-8 that holds no control, or -1. Independent of the code under test: decodes by
// the table of RFC 3629 §4.
long safeCodePoints(std::string_view text)
{
    long count = 0;
    for (size_t i = 0; i < text.size(); ++count) {
        const auto b = [&](size_t k) { return i + k < text.size() ? uint8_t(text[i + k]) : 0; };
        const auto tail = [&](size_t k) { return b(k) >= 0x80 && b(k) <= 0xBF; };
        const uint8_t c = b(0);
        if (c >= 0x20 && c < 0x7F)
            i += 1;
        else if (c == 0xC2 && b(1) >= 0xA0 && b(1) <= 0xBF)
            i += 2; // C2 80–9F are the C1 controls
        else if (c >= 0xC3 && c <= 0xDF && tail(1))
            i += 2;
        else if (((c == 0xE0 && b(1) >= 0xA0 && b(1) <= 0xBF) || (c >= 0xE1 && c <= 0xEC && tail(1))
                  || (c == 0xED && b(1) >= 0x80 && b(1) <= 0x9F) || (c >= 0xEE && c <= 0xEF && tail(1)))
                 && tail(2))
            i += 3;
        else if (((c == 0xF0 && b(1) >= 0x90 && b(1) <= 0xBF) || (c >= 0xF1 && c <= 0xF3 && tail(1))
                  || (c == 0xF4 && b(1) >= 0x80 && b(1) <= 0x8F))
                 && tail(2) && tail(3))
            i += 4;
        else
            return -1;
    }
    return count;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const std::string shown = ferry::ctl::terminalText(input);
    if (shown.size() > input.size())
        violated("more bytes out than in");
    if (safeCodePoints(shown) < 0)
        violated("the output is not UTF-8, or holds a control");
    if (safeCodePoints(input) >= 0 && shown != input)
        violated("safe text was changed");
    if (ferry::ctl::terminalText(shown) != shown)
        violated("a second pass changed the text");
    const size_t columns = ferry::ctl::displayWidth(shown);
    if (ferry::ctl::displayWidth(input) != columns)
        violated("the input and what it is shown as measure differently");
    if (columns > 2 * size_t(safeCodePoints(shown)))
        violated("more than two columns a character");
    return 0;
}
