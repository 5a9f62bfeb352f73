// Text that came from outside ferry-ctl (a path a client asked for, a peer's address, a token's label, a
// name in the audit log), made safe to print on a terminal. Pure.
#pragma once

#include "adminproto/json.h"

#include <string>
#include <string_view>

namespace ferry::ctl {

// `text` with every character a terminal could obey shown as '?': the C0 controls (U+0000–U+001F, so
// also TAB and newline: a row stays one row), DEL, and the C1 controls U+0080–U+009F (UTF-8 C2 80–C2 9F;
// U+009B is the 8-bit CSI, which some terminals take as ESC [). Each byte that is not part of valid UTF-8
// (a stray continuation byte, a cut or overlong sequence, a surrogate, beyond U+10FFFF) is one '?' too,
// so what comes out is valid UTF-8 that moves no cursor, and counts one code point per column as before.
std::string terminalText(std::string_view text);
// The columns terminal-safe `shown` takes, counted as its code points, so tables pad by what the eye sees
// rather than by bytes ("café" is 5 bytes, 4 columns). Wide East Asian characters and emoji count one,
// though most terminals draw them two: wcwidth() knows better only under a UTF-8 LC_CTYPE, and ferry-ctl
// runs in the "C" locale (where glibc's wcwidth() is -1 for all that is not ASCII). Setting one is
// process-wide, "C.UTF-8" is not on every system, and the answer would then differ between systems; a
// row with such characters is only ragged, as a row with a long value is.
size_t displayWidth(std::string_view shown);
// `shown` followed by spaces up to `width` display columns; never cut (see renderStatus()).
std::string padded(std::string shown, size_t width);
// The string member `key` of a reply object, terminal-safe ("" when absent or not a string).
std::string shownMember(const admin::Json &object, const char *key);

} // namespace ferry::ctl
