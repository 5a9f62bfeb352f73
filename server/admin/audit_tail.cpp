#include "admin/audit_tail.h"

#include "audit/audit_record.h"
#include "base/syscall.h"

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::admin {

namespace {

// Splits `text` at '\n' into `lines`; what follows the last '\n' stays in `text`.
void takeLines(std::string &text, std::vector<std::string> &lines)
{
    size_t from = 0;
    for (size_t end; (end = text.find('\n', from)) != std::string::npos; from = end + 1)
        if (end > from)
            lines.emplace_back(text, from, end - from);
    text.erase(0, from);
}

} // namespace

bool AuditTail::openPath(bool atEnd)
{
    m_fd.reset(server::retryOnEintr([&] { return ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY); }));
    struct stat info {};
    if (!m_fd || fstat(m_fd.get(), &info) != 0) {
        m_fd.reset(); // not there (yet): the server makes it with its next line; tried again at each poll
        return false;
    }
    m_inode = info.st_ino;
    m_device = info.st_dev;
    m_offset = atEnd ? info.st_size : 0;
    m_partial.clear();
    return true;
}

void AuditTail::start()
{
    m_following = true;
    openPath(true);
}

void AuditTail::stop()
{
    m_following = false;
    m_fd.reset();
}

bool AuditTail::wasRotated() const
{
    struct stat info {};
    if (::stat(m_path.c_str(), &info) != 0)
        return false; // renamed, and the new one not made yet: keep reading the old one
    return info.st_ino != m_inode || info.st_dev != m_device;
}

std::vector<std::string> AuditTail::recent(size_t count) const
{
    std::vector<std::string> lines;
    if (!m_fd || count == 0)
        return lines;
    // Lines are at most MaxLineBytes, so the last `count` lie within count * MaxLineBytes of the end.
    const off_t span = off_t(std::min<size_t>(count * server::audit::MaxLineBytes, size_t(m_offset)));
    std::string text(size_t(span), '\0');
    const ssize_t got =
        server::retryOnEintr([&] { return ::pread(m_fd.get(), text.data(), text.size(), m_offset - span); });
    text.resize(got > 0 ? size_t(got) : 0);
    if (span < m_offset) { // began inside a line: drop its tail
        const size_t first = text.find('\n');
        text.erase(0, first == std::string::npos ? text.size() : first + 1);
    }
    takeLines(text, lines);
    if (lines.size() > count)
        lines.erase(lines.begin(), lines.end() - ptrdiff_t(count));
    return lines;
}

std::vector<std::string> AuditTail::poll()
{
    std::vector<std::string> lines;
    m_more = false;
    if (!m_following || (!m_fd && !openPath(false)))
        return lines;
    char buffer[64 * 1024];
    for (size_t total = 0; total < MaxPollBytes;) {
        const size_t want = std::min(sizeof buffer, MaxPollBytes - total);
        const ssize_t got = server::retryOnEintr([&] { return ::pread(m_fd.get(), buffer, want, m_offset); });
        if (got <= 0)
            break; // the end, for now (or an error: tried again at the next poll)
        m_offset += got;
        m_partial.append(buffer, size_t(got));
        total += size_t(got);
        if (total == MaxPollBytes) {
            m_more = true; // perhaps only the end was reached: the next poll finds out, at no cost
            takeLines(m_partial, lines);
            return lines;
        }
    }
    takeLines(m_partial, lines);
    // At the end of a file that has been renamed away: nothing more comes to it (the writers reopened, or
    // will before their next line), so go on with the new file from its start.
    if (wasRotated())
        openPath(false);
    return lines;
}

} // namespace ferry::admin
