#include "ipc/scoreboard.h"

#include <cstring>
#include <new>
#include <sys/mman.h>
#include <system_error>
#include <time.h>
#include <utility>

namespace ferry::server {

const char *exitReasonName(ExitReason reason)
{
    switch (reason) {
    case ExitReason::None: return "none";
    case ExitReason::Normal: return "normal";
    case ExitReason::Crashed: return "crashed";
    case ExitReason::Killed: return "killed";
    case ExitReason::Failed: return "failed";
    case ExitReason::FatalConfig: return "fatal-config";
    }
    return "unknown";
}

Scoreboard::Scoreboard(uint32_t slotCount)
{
    m_size = sizeof(ScoreboardHeader) + 64 + sizeof(WorkerSlot) * slotCount;
    m_base = mmap(nullptr, m_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m_base == MAP_FAILED) {
        m_base = nullptr;
        throw std::system_error(errno, std::generic_category(), "mmap() of the scoreboard");
    }
    m_header = new (m_base) ScoreboardHeader;
    m_header->slotCount = slotCount;
    // Slots start on a cache line of their own so a worker's writes never share a line with the header.
    auto slotsAddress = (reinterpret_cast<uintptr_t>(m_base) + sizeof(ScoreboardHeader) + 63) & ~uintptr_t(63);
    m_slots = reinterpret_cast<WorkerSlot *>(slotsAddress);
    for (uint32_t i = 0; i < slotCount; ++i)
        new (&m_slots[i]) WorkerSlot;
}

Scoreboard::~Scoreboard() { release(); }

Scoreboard::Scoreboard(Scoreboard &&other) noexcept
    : m_base(std::exchange(other.m_base, nullptr)), m_size(std::exchange(other.m_size, 0)),
      m_header(std::exchange(other.m_header, nullptr)), m_slots(std::exchange(other.m_slots, nullptr))
{
}

Scoreboard &Scoreboard::operator=(Scoreboard &&other) noexcept
{
    if (this != &other) {
        release();
        m_base = std::exchange(other.m_base, nullptr);
        m_size = std::exchange(other.m_size, 0);
        m_header = std::exchange(other.m_header, nullptr);
        m_slots = std::exchange(other.m_slots, nullptr);
    }
    return *this;
}

void Scoreboard::release()
{
    if (m_base)
        munmap(m_base, m_size);
    m_base = nullptr;
}

SlotSnapshot readSlot(const WorkerSlot &slot)
{
    SlotSnapshot s;
    for (;;) {
        uint32_t before = slot.seq.load(std::memory_order_acquire);
        if (before & 1u)
            continue; // the owner is mid-update; it holds the lock for a few stores only
        s.pid = slot.pid.load(std::memory_order_relaxed);
        s.generation = slot.generation.load(std::memory_order_relaxed);
        s.state = slot.state.load(std::memory_order_relaxed);
        s.connectionId = slot.connectionId.load(std::memory_order_relaxed);
        std::memcpy(s.peer, slot.peer, sizeof s.peer);
        std::memcpy(s.path, slot.path, sizeof s.path);
        std::memcpy(s.security, slot.security, sizeof s.security);
        s.bytesSent = slot.bytesSent.load(std::memory_order_relaxed);
        s.bytesTotal = slot.bytesTotal.load(std::memory_order_relaxed);
        s.transferStartNs = slot.transferStartNs.load(std::memory_order_relaxed);
        s.lastProgressNs = slot.lastProgressNs.load(std::memory_order_relaxed);
        s.requestsServed = slot.requestsServed.load(std::memory_order_relaxed);
        s.connectionsServed = slot.connectionsServed.load(std::memory_order_relaxed);
        s.totalBytesSent = slot.totalBytesSent.load(std::memory_order_relaxed);
        s.startedNs = slot.startedNs.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (slot.seq.load(std::memory_order_relaxed) == before)
            break;
    }
    s.peer[sizeof s.peer - 1] = '\0';
    s.path[sizeof s.path - 1] = '\0';
    s.security[sizeof s.security - 1] = '\0';
    s.lastExitReason = slot.lastExitReason.load(std::memory_order_relaxed);
    s.lastExitStatus = slot.lastExitStatus.load(std::memory_order_relaxed);
    s.restarts = slot.restarts.load(std::memory_order_relaxed);
    return s;
}

SlotWriteGuard::SlotWriteGuard(WorkerSlot &slot) : m_slot(slot)
{
    m_slot.seq.fetch_add(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
}

SlotWriteGuard::~SlotWriteGuard() { m_slot.seq.fetch_add(1, std::memory_order_release); }

void copyText(char *field, size_t fieldSize, const char *text, size_t length)
{
    if (length < fieldSize) {
        std::memcpy(field, text, length);
        field[length] = '\0';
        return;
    }
    // Keep the tail: the file name is the informative end of a long path.
    std::memcpy(field, "...", 3);
    std::memcpy(field + 3, text + length - (fieldSize - 4), fieldSize - 4);
    field[fieldSize - 1] = '\0';
}

void clearWorkerFields(WorkerSlot &slot)
{
    SlotWriteGuard guard(slot);
    slot.pid.store(0, std::memory_order_relaxed);
    slot.state.store(WorkerState::Empty, std::memory_order_relaxed);
    slot.connectionId.store(0, std::memory_order_relaxed);
    slot.peer[0] = '\0';
    slot.path[0] = '\0';
    slot.security[0] = '\0';
    slot.bytesSent.store(0, std::memory_order_relaxed);
    slot.bytesTotal.store(0, std::memory_order_relaxed);
    slot.transferStartNs.store(0, std::memory_order_relaxed);
    slot.lastProgressNs.store(0, std::memory_order_relaxed);
    slot.requestsServed.store(0, std::memory_order_relaxed);
    slot.connectionsServed.store(0, std::memory_order_relaxed);
    slot.totalBytesSent.store(0, std::memory_order_relaxed);
    slot.startedNs.store(0, std::memory_order_relaxed);
    slot.stopRequested.store(0, std::memory_order_relaxed);
    slot.abortConnection.store(0, std::memory_order_relaxed);
}

} // namespace ferry::server
