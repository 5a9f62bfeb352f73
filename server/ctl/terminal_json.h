// JSON for ferry-ctl's --json output, made safe to print on a terminal without changing what it says
// (shared/terminal/terminal_json.h). Pure.
#pragma once

#include "adminproto/json.h"
#include "terminal/terminal_json.h"

#include <string>

namespace ferry::ctl {

using terminal::terminalJsonText;

// dumpJson(value), terminal-safe as terminalJsonText() makes it.
std::string terminalJson(const admin::Json &value);

} // namespace ferry::ctl
