// Paths a worker has recently found to name regular files. A GET of such a path may open it directly,
// without the O_PATH probe that keeps FIFOs and devices from ever being opened (see jail.h): three system
// calls fewer per request for the hot files of a busy server. The memory is short (RecentFileTtlNs): a
// name that is swapped for a FIFO or device node within it is opened once, found not to be a regular
// file, refused and forgotten — the same outcome as the probe's own race between probe and open, over a
// longer window, and only for names that were regular files a moment ago.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ferry::server {

constexpr int64_t RecentFileTtlNs = 2'000'000'000;
constexpr size_t RecentFileCapacity = 4096; // then forgotten all at once: cheap, and rare

class RecentFiles {
public:
    bool contains(std::string_view path, int64_t nowNs) const;
    // Remembers `path` as a regular file from `nowNs` on, unless it is already remembered (the memory
    // expires counted from the last probe, not from the last use).
    void remember(std::string_view path, int64_t nowNs);
    void forget(std::string_view path);
    size_t size() const { return m_expiry.size(); }

private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
    };
    std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> m_expiry; // path -> expiry time
};

} // namespace ferry::server
