#include "bytering.h"

#include <algorithm>
#include <cstring>

namespace ferry::client {

ByteRing::ByteRing(qint64 capacity, int readers)
    : m_capacity(capacity), m_bytes(new char[size_t(capacity)]), m_released(size_t(readers))
{
}

qint64 ByteRing::oldestUnreleased() const
{
    qint64 oldest = m_written;
    for (const auto &released : m_released)
        oldest = std::min(oldest, released.load(std::memory_order_acquire));
    return oldest;
}

// The readers' own view: every reader has released at most what was written.
qint64 ByteRing::leastReleased() const
{
    qint64 least = m_released.front().load(std::memory_order_acquire);
    for (const auto &released : m_released)
        least = std::min(least, released.load(std::memory_order_acquire));
    return least;
}

qint64 ByteRing::room() const
{
    return m_capacity - (m_written - oldestUnreleased());
}

qint64 ByteRing::contiguousRoom() const
{
    return std::min(room(), m_capacity - m_written % m_capacity);
}

std::span<char> ByteRing::writable(qint64 max)
{
    return {m_bytes.get() + m_written % m_capacity, size_t(std::min(max, contiguousRoom()))};
}

const char *ByteRing::write(const char *data, qint64 size)
{
    Q_ASSERT(size <= contiguousRoom());
    char *at = m_bytes.get() + m_written % m_capacity;
    if (data != at)
        std::memcpy(at, data, size_t(size));
    m_written += size;
    return at;
}

void ByteRing::release(int reader, qint64 size)
{
    m_released[size_t(reader)].fetch_add(size, std::memory_order_release);
    bool wake = false;
    {
        std::lock_guard lock(m_watchMutex);
        if (m_watchedRelease > 0 && leastReleased() >= m_watchedRelease) {
            m_watchedRelease = 0;
            wake = true;
        }
    }
    if (wake && m_roomCallback)
        m_roomCallback();
}

// A release before this lock is seen by room() here; one after it sees the watch.
bool ByteRing::watchRoom(qint64 size)
{
    std::lock_guard lock(m_watchMutex);
    size = std::min(size, m_capacity);
    if (room() >= size) {
        m_watchedRelease = 0;
        return true;
    }
    m_watchedRelease = m_written + size - m_capacity; // > leastReleased(), so > 0
    return false;
}

} // namespace ferry::client
