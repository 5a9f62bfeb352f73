#include "audit/audit_log.h"

#include "base/config_error.h"
#include "base/log.h"
#include "base/syscall.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ferry::server::audit {

namespace {

// Group-readable, so an operator in the service's group can read it; never world-readable: it says who
// downloaded what. The state directory (0700) guards it further.
constexpr mode_t FileMode = 0640;

int openForAppend(const std::string &path)
{
    return retryOnEintr(
        [&] { return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, FileMode); });
}

} // namespace

AuditLog::AuditLog(std::string path, const std::atomic<uint32_t> *reopenGeneration)
    : m_path(std::move(path)), m_generation(reopenGeneration)
{
    m_fd.reset(openForAppend(m_path));
    if (!m_fd)
        throw ConfigError("cannot open the audit log " + m_path + ": open(): " + std::strerror(errno));
    if (m_generation)
        m_seenGeneration = m_generation->load(std::memory_order_relaxed);
}

void AuditLog::reopen()
{
    if (!m_fd)
        return;
    if (m_generation) // asked for by the counter or not, this is the reopen it asks for
        m_seenGeneration = m_generation->load(std::memory_order_relaxed);
    UniqueFd fresh(openForAppend(m_path));
    if (!fresh) {
        LOG_WARN("reopening the audit log %s: open(): %s; still writing to the file open before", m_path.c_str(),
                 std::strerror(errno));
        return;
    }
    // Onto the descriptor number already in use, atomically: a line written meanwhile goes to one file or
    // the other, and the process's descriptor numbers do not shift (the old number is not freed for the
    // next socket, nor the fresh one kept above it).
    if (retryOnEintr([&] { return dup3(fresh.get(), m_fd.get(), O_CLOEXEC); }) < 0)
        LOG_WARN("reopening the audit log %s: dup3(): %s; still writing to the file open before", m_path.c_str(),
                 std::strerror(errno));
}

void AuditLog::reopenIfAsked()
{
    if (!m_generation)
        return;
    const uint32_t now = m_generation->load(std::memory_order_relaxed);
    if (now == m_seenGeneration)
        return;
    m_seenGeneration = now;
    reopen();
}

void AuditLog::write(const Record &record)
{
    add(record);
    flush();
}

void AuditLog::add(const Record &record)
{
    if (!m_fd)
        return;
    // A worker's turn is bounded (64 events of at most 16 requests each), but its lines need not all wait:
    // a batch near this size is written first, so one write stays within a few pages.
    constexpr size_t BatchBytes = 64 * 1024;
    if (m_batch.size() + MaxLineBytes > BatchBytes)
        flush();
    appendLine(record, m_batch);
}

void AuditLog::flush()
{
    if (m_batch.empty())
        return;
    reopenIfAsked();
    const ssize_t written = retryOnEintr([&] { return ::write(m_fd.get(), m_batch.data(), m_batch.size()); });
    const size_t size = m_batch.size();
    m_batch.clear();
    if (written == ssize_t(size)) {
        m_lastError = 0;
        return;
    }
    // A short write (a full disk) leaves a partial line that readers skip as damaged; writing the rest
    // in a second call could put it after another process's line, which is worse.
    const int error = written < 0 ? errno : ENOSPC;
    if (error != m_lastError)
        LOG_WARN("audit log %s: write(): %s; audit records are being lost", m_path.c_str(), std::strerror(error));
    m_lastError = error;
}

} // namespace ferry::server::audit
