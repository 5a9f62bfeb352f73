#include "base/log.h"

#include "base/syscall.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
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
// The message with every byte a terminal or a log reader could obey shown as '?': the C0 controls, so a
// newline in a file name cannot start a forged line; DEL; and the C1 controls U+0080–U+009F (UTF-8 C2 80–
// C2 9F, one '?' each). Messages quote names from the served tree and paths that clients asked for.
size_t shownInPlace(char *text, size_t length)
{
    size_t out = 0;
    for (size_t in = 0; in < length; ++in) {
        const auto byte = static_cast<unsigned char>(text[in]);
        const bool c1 = byte == 0xc2 && in + 1 < length && static_cast<unsigned char>(text[in + 1]) >= 0x80
                        && static_cast<unsigned char>(text[in + 1]) <= 0x9f;
        if (c1)
            ++in;
        text[out++] = byte < 0x20 || byte == 0x7f || c1 ? '?' : text[in];
    }
    return out;
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
    length = used + shownInPlace(line + used, length - used);
    line[length++] = '\n';
    [[maybe_unused]] const ssize_t written = retryOnEintr([&] { return ::write(STDERR_FILENO, line, length); });
    errno = savedErrno;
}

} // namespace ferry::server::log
