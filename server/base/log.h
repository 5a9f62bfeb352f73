// Leveled, timestamped log lines on stderr, one write() per line so lines from the parent and its workers
// never interleave mid-line. Format:  2026-11-26T14:55:01.123Z INFO  [1234] message
// (journald adds its own timestamp; the pid tells the parent from the workers).
#pragma once

#include <optional>
#include <string_view>

namespace ferry::server::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void setLevel(Level level);
Level level();
std::optional<Level> parseLevel(std::string_view text);

void write(Level level, const char *format, ...) __attribute__((format(printf, 2, 3)));

#define FERRY_LOG(lvl, ...)                                                                        \
    do {                                                                                           \
        if (static_cast<int>(lvl) >= static_cast<int>(::ferry::server::log::level()))              \
            ::ferry::server::log::write(lvl, __VA_ARGS__);                                         \
    } while (0)
#define LOG_DEBUG(...) FERRY_LOG(::ferry::server::log::Level::Debug, __VA_ARGS__)
#define LOG_INFO(...) FERRY_LOG(::ferry::server::log::Level::Info, __VA_ARGS__)
#define LOG_WARN(...) FERRY_LOG(::ferry::server::log::Level::Warn, __VA_ARGS__)
#define LOG_ERROR(...) FERRY_LOG(::ferry::server::log::Level::Error, __VA_ARGS__)

} // namespace ferry::server::log
