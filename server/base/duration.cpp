#include "base/duration.h"

#include <charconv>
#include <cmath>

namespace ferry::server {

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text)
{
    double scale = 1000.0;
    if (text.ends_with("ms")) {
        scale = 1.0;
        text.remove_suffix(2);
    } else if (text.ends_with("s")) {
        text.remove_suffix(1);
    } else if (text.ends_with("m")) {
        scale = 60000.0;
        text.remove_suffix(1);
    } else if (text.ends_with("h")) {
        scale = 3600000.0;
        text.remove_suffix(1);
    } else if (text.ends_with("d")) {
        scale = 86400000.0;
        text.remove_suffix(1);
    }
    if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text.front())) || text.front() == '.'))
        return std::nullopt;
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0)
        return std::nullopt;
    double ms = value * scale;
    if (ms > 1e12) // ~31 years: anything larger is a typo
        return std::nullopt;
    return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

std::optional<uint64_t> parseUnsigned(std::string_view text)
{
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::optional<uint64_t> parseByteCount(std::string_view text)
{
    uint64_t scale = 1;
    if (!text.empty()) {
        switch (text.back()) {
        case 'k':
        case 'K': scale = uint64_t(1) << 10; break;
        case 'M': scale = uint64_t(1) << 20; break;
        case 'G': scale = uint64_t(1) << 30; break;
        default: break;
        }
        if (scale != 1)
            text.remove_suffix(1);
    }
    auto value = parseUnsigned(text);
    if (!value || *value > UINT64_MAX / scale)
        return std::nullopt;
    return *value * scale;
}

} // namespace ferry::server
