// libFuzzer target: the audit log's line parser (server/audit/audit_record.cpp), which ferry-ctl and
// Ferry Admin run over files that may hold anything (a line cut short by a full disk, garbage). Checked on
// every input besides the sanitizers' own checks:
//   - parseLine() never throws and gives a record or a non-empty error, never both or neither;
//   - a record it reads formats to a line of at most MaxLineBytes that reads back as the same record
//     (unless the path had to be cut, when it reads back marked as cut);
//   - formatLine() writes exactly one line: one '\n', at the end.
#include "audit/audit_record.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace ferry::server::audit;

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz_audit_line: %s\n", what);
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const ParsedLine parsed = parseLine(input);
    if (parsed.record.has_value() == !parsed.error.empty())
        violated("a record and an error, or neither");
    if (!parsed.record)
        return 0;
    const std::string line = formatLine(*parsed.record);
    if (line.size() > MaxLineBytes || line.find('\n') != line.size() - 1)
        violated("formatLine() wrote more than one line, or one too long");
    const ParsedLine again = parseLine(line);
    if (!again.record)
        violated("a formatted line does not read back");
    if (!again.record->pathTruncated && !(*again.record == *parsed.record)) {
        // Not UTF-8 in a string field reads back as U+FFFD: only a valid record must survive unchanged.
        const ParsedLine third = parseLine(formatLine(*again.record));
        if (!third.record || !(*third.record == *again.record))
            violated("a record does not survive formatLine() and parseLine()");
    }
    return 0;
}
