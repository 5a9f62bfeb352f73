#include "worker/recent_files.h"

namespace ferry::server {

bool RecentFiles::contains(std::string_view path, int64_t nowNs) const
{
    auto it = m_expiry.find(path);
    return it != m_expiry.end() && it->second > nowNs;
}

void RecentFiles::remember(std::string_view path, int64_t nowNs)
{
    auto it = m_expiry.find(path);
    if (it != m_expiry.end()) {
        if (it->second <= nowNs)
            it->second = nowNs + RecentFileTtlNs; // probed again just now
        return;
    }
    if (m_expiry.size() >= RecentFileCapacity)
        m_expiry.clear();
    m_expiry.emplace(std::string(path), nowNs + RecentFileTtlNs);
}

void RecentFiles::forget(std::string_view path)
{
    if (auto it = m_expiry.find(path); it != m_expiry.end())
        m_expiry.erase(it);
}

} // namespace ferry::server
