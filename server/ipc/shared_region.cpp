#include "ipc/shared_region.h"

#include <cerrno>
#include <string>
#include <sys/mman.h>
#include <system_error>
#include <utility>

namespace ferry::server {

SharedRegion::SharedRegion(size_t size, const char *what) : m_size(size)
{
    // Anonymous pages come zeroed, so every field starts at 0 before its constructor runs too.
    void *base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        throw std::system_error(errno, std::generic_category(), std::string("mmap() of the ") + what);
    m_base = base;
}

SharedRegion::SharedRegion(SharedRegion &&other) noexcept
    : m_base(std::exchange(other.m_base, nullptr)), m_size(std::exchange(other.m_size, 0))
{
}

SharedRegion &SharedRegion::operator=(SharedRegion &&other) noexcept
{
    if (this != &other) {
        reset();
        m_base = std::exchange(other.m_base, nullptr);
        m_size = std::exchange(other.m_size, 0);
    }
    return *this;
}

// munmap() fails only for an address range that was never mapped: nothing to report at teardown.
void SharedRegion::reset()
{
    if (m_base)
        munmap(m_base, m_size);
    m_base = nullptr;
    m_size = 0;
}

} // namespace ferry::server
