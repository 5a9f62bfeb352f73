// One-line text form of a message, for logs and for the test vectors in
// shared/protocol/vectors.txt (whose "message:" lines are exactly this form).
#pragma once

#include "messages.h"

#include <string>
#include <string_view>

namespace ferry::proto {

// e.g. `GET path="a/b.iso" offset=0 length=18446744073709551615`. Strings are quoted;
// bytes outside printable ASCII, `"` and `\` are escaped as \xNN, \" and \\.
std::string toString(const Message &message);
std::string quoted(std::string_view text);
const char *entryKindName(EntryKind kind);
const char *digestAlgoName(DigestAlgo algo);

} // namespace ferry::proto
