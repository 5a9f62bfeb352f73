// Text from outside ferry-ctl (a path a client asked for, a peer's address, a token's label, a name in the
// audit log), made safe to print on a terminal: shared/terminal/terminal_text.h, and the reply member read
// through it. Pure.
#pragma once

#include "adminproto/json.h"
#include "terminal/terminal_text.h"

#include <string>

namespace ferry::ctl {

using terminal::displayWidth;
using terminal::padded;
using terminal::terminalText;

// The string member `key` of a reply object, terminal-safe ("" when absent or not a string).
std::string shownMember(const admin::Json &object, const char *key);

} // namespace ferry::ctl
