// The audit records read for the admin socket's audit subscribers (docs/ADMIN.md §4.4) that some subscriber
// has not had yet. Each subscriber keeps its own position in it (the position of the next record it gets),
// so a fast one is never held back by a slow one; the admin server forgets the records every subscriber has.
// A record is kept as dumpJson() wrote it, once, and each subscriber's `audit` event is made of that text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace ferry::admin {

class AuditBacklog {
public:
    // How much the backlog holds before the file is no longer read: the most a fast subscriber can be ahead
    // of the slowest. A slow one that takes no line for the stall time is dropped, so this is reached only
    // for that long; the most held is this and one poll (AuditTail::MaxPollBytes) more.
    static constexpr size_t MaxBytes = 1 << 20;

    // Positions count the records appended since the backlog was made or last cleared, from 0.
    uint64_t begin() const { return m_begin; } // the oldest record held
    uint64_t end() const { return m_begin + m_records.size(); } // the next record appended
    bool isEmpty() const { return m_records.empty(); }
    bool isFull() const { return m_bytes >= MaxBytes; }
    size_t bytes() const { return m_bytes; }

    // The record at `position`, begin() <= position < end(), as dumpJson() wrote it.
    const std::string &at(uint64_t position) const { return m_records[size_t(position - m_begin)]; }
    // `recordJson` is one record as dumpJson() wrote it; it takes position end().
    void append(std::string recordJson);
    // Forgets the records before `position` (every subscriber has them). O(records forgotten).
    void dropBefore(uint64_t position);
    // Forgets every record and starts counting positions from 0 again (no one subscribes any more).
    void clear();

private:
    std::deque<std::string> m_records;
    uint64_t m_begin = 0;
    size_t m_bytes = 0; // of m_records' texts
};

// The line of the `audit` event with `seq` for a record as dumpJson() wrote it: byte for byte toLine() of
// {"v":1,"event":"audit","seq":SEQ,"record":RECORD}, without dumping the record again.
std::string auditEventLine(uint64_t seq, std::string_view recordJson);
// Its length, without making it (to see whether a subscriber has room for it).
size_t auditEventLineSize(uint64_t seq, std::string_view recordJson);

} // namespace ferry::admin
