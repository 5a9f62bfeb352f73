// The audit log's writer: appends formatted records to one file with O_APPEND, from whichever process
// finished the request, whole lines per write(2). O_APPEND makes the kernel find the end and write under
// the inode's lock, so lines from the parent and its workers never interleave or overwrite each other, of
// any length (PIPE_BUF bounds pipes, not regular files); as a write holds only whole lines, no line is
// ever split between two.
//
// The parent writes each line at once (write()). A worker gathers the lines of one loop turn (add()) and
// writes them in one call (flush()) before it waits for anything: a kept-alive client's requests cost one
// write(2) per turn instead of one per request, and a line still reaches the file before the worker
// sleeps or exits (worker_audit.cpp says where).
//
// Rotation (logrotate renames the file, then signals the parent): the parent bumps a counter every
// process can see (the scoreboard's control block) and each process reopens the path before its next
// line once it sees the counter move. A line written between the rename and that moment lands at the end
// of the renamed file, which is why the shipped logrotate rule uses delaycompress: nothing is lost.
#pragma once

#include "audit/audit_record.h"
#include "base/unique_fd.h"

#include <atomic>
#include <cstdint>
#include <string>

namespace ferry::server::audit {

class AuditLog {
public:
    // Disabled: write() does nothing.
    AuditLog() = default;
    // Opens (creating, mode 0640) `path` for appending. `reopenGeneration`, when given, is the shared
    // counter the parent bumps to ask for a reopen (it must outlive this object). Throws ConfigError
    // naming the file and the call: this is start-up.
    AuditLog(std::string path, const std::atomic<uint32_t> *reopenGeneration);

    bool isEnabled() const { return bool(m_fd); }
    const std::string &path() const { return m_path; }
    // The open descriptor, for a forked worker to keep (it inherits the file, not a path to open).
    int fd() const { return m_fd.get(); }

    // Appends the record as one line. Never throws and never fails the request: a write error is logged
    // (once per kind of failure until a write succeeds again) and the record is dropped.
    void write(const Record &record);
    // Adds the record's line to the batch, in order, to be written by the next flush() (or at once, when
    // the batch is full). Never throws.
    void add(const Record &record);
    // Writes the batch, if any, in one write(2); a failure is handled as write()'s.
    void flush();
    // Opens the path afresh now, onto the same descriptor number (dup3); on failure keeps writing to the file
    // it has (logged). For the parent,
    // which reopens at once on SIGUSR1 so a problem shows in its log right away.
    void reopen();

private:
    void reopenIfAsked();

    std::string m_path;
    UniqueFd m_fd;
    const std::atomic<uint32_t> *m_generation = nullptr;
    uint32_t m_seenGeneration = 0;
    std::string m_batch; // whole lines not written yet (add()); its capacity is kept from batch to batch
    int m_lastError = 0; // errno of the last failed write, so a full disk is not logged per request
};

} // namespace ferry::server::audit
