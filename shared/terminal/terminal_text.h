// Text that came from outside (a name a server listed, a path a client asked for, a token's label, a line
// of the audit log), made safe to print on a terminal or into a log. Pure, no Qt: ferry-ctl, ferry-get and
// the server's log all show such text through it, so the rule is one.
#pragma once

#include <string>
#include <string_view>

namespace ferry::terminal {

// `text` with every character a terminal could obey shown as '?': the C0 controls (U+0000–U+001F, so
// also TAB and newline: a row stays one row), DEL, and the C1 controls U+0080–U+009F (UTF-8 C2 80–C2 9F;
// U+009B is the 8-bit CSI, which some terminals take as ESC [). Each byte that is not part of valid UTF-8
// (a stray continuation byte, a cut or overlong sequence, a surrogate, beyond U+10FFFF) is one '?' too,
// so what comes out is valid UTF-8 that moves no cursor: one character for each one or byte replaced.
std::string terminalText(std::string_view text);
// The columns `shown` takes on a terminal, so tables pad by what the eye sees rather than by bytes:
// "café" is 5 bytes and 4 columns, "日本語" 9 bytes and 6 columns (East Asian wide characters take two),
// "e" and a combining acute accent one. Measured with the C library's wcwidth() under a UTF-8 LC_CTYPE
// of its own (set for the call and the calling thread only; the process keeps its "C" locale), so the
// answer does not depend on the user's locale. What terminalText() would show as '?' counts one, so
// displayWidth(text) == displayWidth(terminalText(text)). On a system with no UTF-8 locale at all every
// character counts one, as before: a row with wide characters is then only ragged.
size_t displayWidth(std::string_view shown);
// `shown` followed by spaces up to `width` display columns; never cut (a table cell grows instead).
std::string padded(std::string shown, size_t width);

} // namespace ferry::terminal
