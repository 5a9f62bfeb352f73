#include "terminal/terminal_json.h"

#include <cstdint>
#include <cstdio>

namespace ferry::terminal {

std::string terminalJsonText(std::string_view json)
{
    std::string out;
    out.reserve(json.size());
    for (size_t i = 0; i < json.size(); ++i) {
        const uint8_t byte = uint8_t(json[i]);
        // C2 is always a lead byte (continuation bytes are 80–BF), and C2 80–C2 9F is exactly U+0080–U+009F.
        const bool c1 = byte == 0xC2 && i + 1 < json.size() && uint8_t(json[i + 1]) <= 0x9F
                        && uint8_t(json[i + 1]) >= 0x80;
        if (byte != 0x7F && !c1) {
            out.push_back(char(byte));
            continue;
        }
        // C2 xx decodes to U+00xx for xx in 80–BF: the continuation byte is the code point.
        const unsigned codePoint = c1 ? uint8_t(json[++i]) : 0x7Fu;
        char escape[7];
        std::snprintf(escape, sizeof escape, "\\u%04x", codePoint);
        out += escape;
    }
    return out;
}

} // namespace ferry::terminal
