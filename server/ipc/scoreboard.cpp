#include "ipc/scoreboard.h"

#include <cstring>
#include <sched.h>
#include <time.h>

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

// The size keeps 64 bytes of room after the header, as much as aligning the slots can take.
Scoreboard::Scoreboard(uint32_t slotCount)
    : m_region(sizeof(ScoreboardHeader) + 64 + sizeof(WorkerSlot) * slotCount, "scoreboard")
{
    m_region.construct<ScoreboardHeader>(0, 1)->slotCount = slotCount;
    m_region.construct<WorkerSlot>(SlotsOffset, slotCount);
}

// The text fields are arrays of single-byte atomics so that `sizeof field` is the byte count callers pass.
static_assert(sizeof(std::atomic<char>) == 1 && std::atomic<char>::is_always_lock_free);

namespace {

// One seqlock try: copies the worker fields into `s` and says whether no update overlapped the copy.
// The data loads are relaxed atomics (a plain memcpy racing the writer would be a data race, undefined
// behaviour under the C++ memory model, whatever the retry later decides); the acquire fence keeps them
// before the second load of `seq` (Boehm, "Can seqlocks get along with programming language memory
// models?", 2012).
bool tryReadSlot(const WorkerSlot &slot, SlotSnapshot &s)
{
    const uint32_t before = slot.seq.load(std::memory_order_acquire);
    if (before & 1u)
        return false; // the owner is mid-update
    s.pid = slot.pid.load(std::memory_order_relaxed);
    s.generation = slot.generation.load(std::memory_order_relaxed);
    s.state = slot.state.load(std::memory_order_relaxed);
    s.connectionId = slot.connectionId.load(std::memory_order_relaxed);
    loadText(s.peer, slot.peer, sizeof s.peer);
    loadText(s.path, slot.path, sizeof s.path);
    loadText(s.security, slot.security, sizeof s.security);
    loadText(s.tokenId, slot.tokenId, sizeof s.tokenId);
    loadText(s.tokenLabel, slot.tokenLabel, sizeof s.tokenLabel);
    s.bytesSent = slot.bytesSent.load(std::memory_order_relaxed);
    s.bytesTotal = slot.bytesTotal.load(std::memory_order_relaxed);
    s.transferStartNs = slot.transferStartNs.load(std::memory_order_relaxed);
    s.lastProgressNs = slot.lastProgressNs.load(std::memory_order_relaxed);
    s.requestsServed = slot.requestsServed.load(std::memory_order_relaxed);
    s.connectionsServed = slot.connectionsServed.load(std::memory_order_relaxed);
    s.totalBytesSent = slot.totalBytesSent.load(std::memory_order_relaxed);
    s.startedNs = slot.startedNs.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    return slot.seq.load(std::memory_order_relaxed) == before;
}

} // namespace

std::optional<SlotSnapshot> readSlot(const WorkerSlot &slot)
{
    // A writer holds the lock for a few stores, so a spin of a few tries nearly always succeeds; after that
    // the writer may be preempted on our CPU (yield to it) or dead (give up: it is reaped soon).
    constexpr int SpinsBeforeYield = 16;
    SlotSnapshot s;
    for (int attempt = 0;; ++attempt) {
        if (tryReadSlot(slot, s))
            break;
        if (attempt + 1 >= ReadSlotAttempts)
            return std::nullopt;
        if (attempt >= SpinsBeforeYield)
            sched_yield();
    }
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

void copyText(std::atomic<char> *field, size_t fieldSize, const char *text, size_t length)
{
    auto put = [field](size_t at, const char *from, size_t count) {
        for (size_t i = 0; i < count; ++i)
            field[at + i].store(from[i], std::memory_order_relaxed);
    };
    if (length < fieldSize) {
        put(0, text, length);
        field[length].store('\0', std::memory_order_relaxed);
        return;
    }
    // Keep the tail: the file name is the informative end of a long path.
    put(0, "...", 3);
    put(3, text + length - (fieldSize - 4), fieldSize - 4);
    field[fieldSize - 1].store('\0', std::memory_order_relaxed);
}

void loadText(char *out, const std::atomic<char> *field, size_t fieldSize)
{
    for (size_t i = 0; i < fieldSize; ++i)
        out[i] = field[i].load(std::memory_order_relaxed);
    out[fieldSize - 1] = '\0'; // a torn or foreign write may have left no terminator
}

void clearWorkerFields(WorkerSlot &slot)
{
    // A worker killed between the two increments of its SlotWriteGuard leaves `seq` odd, and the two more
    // below would keep it odd: readers would never see this slot again. No process owns the slot now (the
    // parent calls this before fork and after reaping), so nothing else writes `seq`: round it up to even.
    if (const uint32_t seq = slot.seq.load(std::memory_order_relaxed); seq & 1u)
        slot.seq.store(seq + 1, std::memory_order_relaxed);
    SlotWriteGuard guard(slot);
    slot.pid.store(0, std::memory_order_relaxed);
    slot.state.store(WorkerState::Empty, std::memory_order_relaxed);
    slot.connectionId.store(0, std::memory_order_relaxed);
    slot.peer[0].store('\0', std::memory_order_relaxed);
    slot.path[0].store('\0', std::memory_order_relaxed);
    slot.security[0].store('\0', std::memory_order_relaxed);
    slot.tokenId[0].store('\0', std::memory_order_relaxed);
    slot.tokenLabel[0].store('\0', std::memory_order_relaxed);
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
