#include "base/log.h"

#include "base/syscall.h"
#include "terminal/terminal_text.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <unistd.h>

namespace ferry::server::log {

namespace {
Level g_level = Level::Info;

const char *levelName(Level level)
{
    switch (level) {
    case Level::Debug: return "DEBUG";
    case Level::Info: return "INFO ";
    case Level::Warn: return "WARN ";
    case Level::Error: return "ERROR";
    }
    return "?";
}
} // namespace

void setLevel(Level level) { g_level = level; }
Level level() { return g_level; }

std::optional<Level> parseLevel(std::string_view text)
{
    if (text == "debug") return Level::Debug;
    if (text == "info") return Level::Info;
    if (text == "warn" || text == "warning") return Level::Warn;
    if (text == "error") return Level::Error;
    return std::nullopt;
}

void write(Level level, const char *format, ...)
{
    const int savedErrno = errno; // logging must not disturb the caller's errno
    char line[2048];
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    int used = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%d] ", utc.tm_year + 1900,
                        utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, now.tv_nsec / 1000000,
                        levelName(level), static_cast<int>(getpid()));
    va_list args;
    va_start(args, format);
    int body = vsnprintf(line + used, sizeof line - used - 1, format, args);
    va_end(args);
    size_t length = used + (body < 0 ? 0 : static_cast<size_t>(body));
    if (length > sizeof line - 2)
        length = sizeof line - 2; // truncated: still one line
    // Messages quote names from the served tree and paths clients asked for: a newline in one must not
    // start a forged line, an escape sequence must not reach the terminal of whoever reads the log. Never
    // longer than what it replaces (one '?' for each character or byte).
    const std::string shown = terminal::terminalText(std::string_view(line + used, length - used));
    std::memcpy(line + used, shown.data(), shown.size());
    length = used + shown.size();
    line[length++] = '\n';
    [[maybe_unused]] const ssize_t written = retryOnEintr([&] { return ::write(STDERR_FILENO, line, length); });
    errno = savedErrno;
}

} // namespace ferry::server::log
