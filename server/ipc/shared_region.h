// One anonymous shared mapping: the memory the parent and its workers share (the scoreboard, the token
// table, the address table). Each of those lays its own structs out in a region; this owns the mapping.
//
// Why one owner: the region must be mapped MAP_SHARED|MAP_ANONYMOUS by the parent BEFORE any fork, so that
// every worker inherits the same pages; it is unmapped exactly once, by whoever holds it last in the parent;
// a moved-from owner holds nothing. Getting that right three times over is three chances to get it wrong.
// A child that exits just drops its inherited mapping: nothing here runs after fork.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>

namespace ferry::server {

class SharedRegion {
public:
    // Maps `size` zeroed bytes, page-aligned. Throws std::system_error naming the call and `what` ("mmap()
    // of the token table: Invalid argument") on failure, a size of 0 included (start-up only, before fork).
    SharedRegion(size_t size, const char *what);
    ~SharedRegion() { reset(); }
    SharedRegion(SharedRegion &&other) noexcept;
    SharedRegion &operator=(SharedRegion &&other) noexcept;
    SharedRegion(const SharedRegion &) = delete;
    SharedRegion &operator=(const SharedRegion &) = delete;

    // Null and 0 once moved from.
    void *data() const { return m_base; }
    size_t size() const { return m_size; }

    // Default-constructs `count` objects of T at byte `offset` (a multiple of alignof(T): the base is
    // page-aligned) and returns the first. The caller keeps inside size(); the objects are never destroyed,
    // so T must be trivially destructible (atomics and plain fields are).
    template <typename T>
    T *construct(size_t offset, size_t count)
    {
        static_assert(std::is_trivially_destructible_v<T>, "munmap() runs no destructors");
        T *first = at<T>(offset);
        for (size_t i = 0; i < count; ++i)
            new (first + i) T;
        return first;
    }
    // The objects construct() put at `offset`. Free (no check): the tables call it on every access. Not
    // to be called once moved from.
    template <typename T>
    T *at(size_t offset) const
    {
        return reinterpret_cast<T *>(static_cast<std::byte *>(m_base) + offset);
    }

private:
    void reset();
    void *m_base = nullptr;
    size_t m_size = 0;
};

} // namespace ferry::server
