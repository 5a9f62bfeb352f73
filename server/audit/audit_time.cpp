#include "audit/audit_time.h"

#include <cstdio>
#include <ctime>

namespace ferry::server::audit {

int64_t wallClockMs()
{
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return int64_t(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

void appendTime(int64_t unixMs, std::string &out)
{
    time_t seconds = time_t(unixMs / 1000);
    int millis = int(unixMs % 1000);
    if (millis < 0) { // before 1970: floor, so the milliseconds stay positive
        millis += 1000;
        --seconds;
    }
    // A busy worker writes many lines a second: gmtime_r and snprintf run once per second, not per line.
    // Per thread, so that a caller with threads stays correct (the server has none).
    thread_local time_t cachedSecond = 0;
    thread_local char cachedText[64] = ""; // "YYYY-MM-DDTHH:MM:SS"; room for any int year the compiler can imagine
    thread_local int cachedSize = 0;
    if (cachedSize == 0 || seconds != cachedSecond) {
        tm parts{};
        gmtime_r(&seconds, &parts);
        cachedSize = std::snprintf(cachedText, sizeof cachedText, "%04d-%02d-%02dT%02d:%02d:%02d", parts.tm_year + 1900,
                                   parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
        cachedSecond = seconds;
    }
    const char fraction[] = {'.', char('0' + millis / 100), char('0' + millis / 10 % 10), char('0' + millis % 10), 'Z'};
    out.append(cachedText, size_t(cachedSize));
    out.append(fraction, sizeof fraction);
}

std::string formatTime(int64_t unixMs)
{
    std::string text;
    appendTime(unixMs, text);
    return text;
}

namespace {

// Reads exactly `width` digits at `at`; false if any is not a digit.
bool digits(std::string_view text, size_t at, size_t width, int &out)
{
    if (at + width > text.size())
        return false;
    out = 0;
    for (size_t i = at; i < at + width; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

} // namespace

std::optional<int64_t> parseTime(std::string_view text)
{
    // YYYY-MM-DDTHH:MM:SS[.mmm]Z
    tm parts{};
    int year, month, day, hour, minute, second, millis = 0;
    if (!digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' || !digits(text, 5, 2, month)
        || text[7] != '-' || !digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't')
        || !digits(text, 11, 2, hour) || text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':'
        || !digits(text, 17, 2, second))
        return std::nullopt;
    size_t at = 19;
    if (text[at] == '.') {
        if (!digits(text, at + 1, 3, millis))
            return std::nullopt;
        at += 4;
    }
    if (at + 1 != text.size() || (text[at] != 'Z' && text[at] != 'z'))
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    parts.tm_year = year - 1900;
    parts.tm_mon = month - 1;
    parts.tm_mday = day;
    parts.tm_hour = hour;
    parts.tm_min = minute;
    parts.tm_sec = second;
    return int64_t(timegm(&parts)) * 1000 + millis;
}

} // namespace ferry::server::audit
