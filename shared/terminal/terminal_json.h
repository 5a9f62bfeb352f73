// JSON made safe to print on a terminal without changing what it says (ferry-ctl --json, ferry-get ls
// --json). Pure.
#pragma once

#include <string>
#include <string_view>

namespace ferry::terminal {

// `json` (UTF-8 JSON text, as a JSON library writes it or as an audit line holds it) with each DEL and each
// C1 control U+0080–U+009F written as the escape `\u007f`, `\u0080` … `\u009f`. JSON writers leave those
// raw (RFC 8259 requires escaping only U+0000–U+001F), and a terminal may obey them: U+009B is the 8-bit
// CSI. Outside strings JSON is ASCII, so every such character is inside a string, where the escape means
// the same character: the text stays valid JSON and parses to the same value. Bytes that are not UTF-8
// are left as they are (JSON writers write none).
std::string terminalJsonText(std::string_view json);

} // namespace ferry::terminal
