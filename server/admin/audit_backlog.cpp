#include "admin/audit_backlog.h"

#include "adminproto/protocol.h"

#include <charconv>

namespace ferry::admin {

namespace {

// `{"v":1,"event":"audit","seq":` taken from the event builder itself, so the line follows it if it changes.
const std::string &eventHead()
{
    static const std::string head = [] {
        std::string text = dumpJson(event("audit"));
        text.pop_back(); // the closing '}'
        return text + ",\"seq\":";
    }();
    return head;
}

constexpr std::string_view RecordKey = ",\"record\":";
constexpr std::string_view EventEnd = "}\n";

struct Digits {
    char text[20]; // UINT64_MAX has 20 digits
    size_t size;
};

Digits digitsOf(uint64_t value)
{
    Digits digits{};
    digits.size = size_t(std::to_chars(digits.text, digits.text + sizeof digits.text, value).ptr - digits.text);
    return digits;
}

} // namespace

void AuditBacklog::append(std::string recordJson)
{
    m_bytes += recordJson.size();
    m_records.push_back(std::move(recordJson));
}

void AuditBacklog::dropBefore(uint64_t position)
{
    for (; m_begin < position && !m_records.empty(); ++m_begin) {
        m_bytes -= m_records.front().size();
        m_records.pop_front();
    }
}

void AuditBacklog::clear()
{
    m_records.clear();
    m_begin = 0;
    m_bytes = 0;
}

size_t auditEventLineSize(uint64_t seq, std::string_view recordJson)
{
    return eventHead().size() + digitsOf(seq).size + RecordKey.size() + recordJson.size() + EventEnd.size();
}

std::string auditEventLine(uint64_t seq, std::string_view recordJson)
{
    const Digits digits = digitsOf(seq);
    std::string line;
    line.reserve(auditEventLineSize(seq, recordJson));
    line += eventHead();
    line.append(digits.text, digits.size);
    line += RecordKey;
    line += recordJson;
    line += EventEnd;
    return line;
}

} // namespace ferry::admin
