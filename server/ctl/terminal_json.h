// JSON for ferry-ctl's --json output, made safe to print on a terminal without changing what it says.
// Pure.
#pragma once

#include "adminproto/json.h"

#include <string>
#include <string_view>

namespace ferry::ctl {

// `json` (UTF-8 JSON text, as dumpJson() writes it or as an audit line holds it) with each DEL and each
// C1 control U+0080–U+009F written as the escape `\u007f`, `\u0080` … `\u009f`. JSON writers leave those
// raw (RFC 8259 requires escaping only U+0000–U+001F), and a terminal may obey them: U+009B is the 8-bit
// CSI. Outside strings JSON is ASCII, so every such character is inside a string, where the escape means
// the same character: the text stays valid JSON and parses to the same value. Bytes that are not UTF-8
// are left as they are (dumpJson() writes none).
std::string terminalJsonText(std::string_view json);
// dumpJson(value), terminal-safe as terminalJsonText() makes it.
std::string terminalJson(const admin::Json &value);

} // namespace ferry::ctl
