// The scoreboard: shared memory between the parent and its workers.
//
// Contract (read this before touching a field):
//  - The region is mapped with mmap(MAP_SHARED|MAP_ANONYMOUS) by the parent BEFORE any fork, so every worker
//    sees the same pages. Its size is fixed at start-up: `slotCount` slots (--max-workers), never resized.
//  - One writer per field. A WorkerSlot's "worker" fields are written only by the worker process that owns
//    the slot (and by the parent while the slot has no live process: before fork, after reaping). The
//    "parent" fields of a slot and the ControlBlock's knobs are written only by the parent. The exceptions,
//    shared by all workers and changed only with atomic read-modify-write: ControlBlock::activeSenders and
//    ControlBlock::globalPaidUntilNs.
//  - Every field is atomic, the text fields byte by byte (lock-free, relaxed is enough for a single value):
//    a reader racing a writer reads stale or mixed bytes, never undefined behaviour. The worker wraps
//    multi-field updates (state + peer + path + totals) in a seqlock: `seq` is odd while an update is in
//    progress. A reader that wants a consistent snapshot calls readSlot() (scoreboard.cpp), which retries a
//    bounded number of times and reports a torn read rather than spin: a worker killed inside its write
//    section leaves `seq` odd until the parent reaps it and clearWorkerFields() makes it even again.
//  - Times are CLOCK_MONOTONIC nanoseconds (monotonicNs()) unless a name says Wall.
// The admin plane (server/admin) reads slots and writes the ControlBlock; nothing here allocates.
#pragma once

#include "base/clock.h"
#include "base/worker_state.h"
#include "ipc/shared_region.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sys/types.h>

namespace ferry::server {

// Why the last process of a slot ended; written by the parent after reaping.
enum class ExitReason : uint8_t {
    None = 0,       // the slot never had a process end
    Normal = 1,     // exit code 0: recycled, drained or told to stop
    Crashed = 2,    // killed by a signal the parent did not send
    Killed = 3,     // killed on purpose by the parent (kill-worker, grace period over)
    Failed = 4,     // exited with an unexpected non-zero code
    FatalConfig = 5 // WorkerExit::FatalConfig: do not respawn
};
const char *exitReasonName(ExitReason reason);

// Worker exit codes: a protocol between worker and parent (Apache prefork style).
namespace WorkerExit {
constexpr int Normal = 0;       // done, respawn if the pool wants one
constexpr int Error = 1;        // unexpected failure; respawn with crash-loop backoff
constexpr int FatalConfig = 64; // the worker cannot ever work (e.g. root vanished): never respawn this slot
} // namespace WorkerExit

constexpr size_t PeerTextSize = 64;  // "[ipv6]:port" fits
constexpr size_t PathTextSize = 256; // the current path, truncated with "..." if longer
constexpr size_t SecurityTextSize = 48; // "plaintext" or "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256"
constexpr size_t SlotTokenIdSize = 16;     // "tk-" and 10 hex digits
constexpr size_t SlotTokenLabelSize = 64;  // a token's label, truncated with "..." if longer

struct alignas(64) WorkerSlot {
    // ---- written by the owning worker (seqlock-protected as a group) ----
    std::atomic<uint32_t> seq{0};
    std::atomic<int32_t> pid{0};
    std::atomic<uint32_t> generation{0};
    std::atomic<WorkerState> state{WorkerState::Empty};
    std::atomic<uint64_t> connectionId{0};      // 0 = none
    std::atomic<char> peer[PeerTextSize]{};     // NUL-terminated; written with copyText()
    std::atomic<char> path[PathTextSize]{};     // NUL-terminated; the request being served
    std::atomic<char> security[SecurityTextSize]{}; // NUL-terminated; the connection's transport (TLS version, suite)
    std::atomic<char> tokenId[SlotTokenIdSize]{};       // NUL-terminated; the request's token, "" = anonymous
    std::atomic<char> tokenLabel[SlotTokenLabelSize]{}; // NUL-terminated; that token's label (never its secret)
    std::atomic<uint64_t> bytesSent{0};         // of the current body
    std::atomic<uint64_t> bytesTotal{0};        // announced length of the current body
    std::atomic<int64_t> transferStartNs{0};    // monotonic; 0 = no transfer
    std::atomic<int64_t> lastProgressNs{0};     // monotonic; last time a byte moved or a request began
    std::atomic<uint64_t> requestsServed{0};    // by this process
    std::atomic<uint64_t> connectionsServed{0}; // connections handed to this process
    std::atomic<uint64_t> totalBytesSent{0};    // by this process, all bodies
    std::atomic<int64_t> startedNs{0};          // when this process started
    // ---- written by the parent only ----
    std::atomic<uint8_t> stopRequested{0};      // 1: finish the current response, park the connections, exit 0
    std::atomic<uint64_t> abortConnection{0};   // a connection id: abort its response between chunks and close
    std::atomic<ExitReason> lastExitReason{ExitReason::None};
    std::atomic<int32_t> lastExitStatus{0};     // exit code or signal number of the last process
    std::atomic<int32_t> lastExitPid{0};
    std::atomic<uint32_t> restarts{0};          // processes started in this slot so far
};

// Knobs the parent (or the admin plane through the parent) sets; workers read them between chunks.
struct ControlBlock {
    std::atomic<uint64_t> perConnectionRate{0}; // bytes/s per connection, 0 = unlimited
    std::atomic<uint64_t> globalRate{0};        // bytes/s over all connections, 0 = unlimited
    // Per client address (ipc/address_table.h), over all of its connections in every worker: bytes/s, and
    // bytes per quota window of quotaWindowMs. 0 = unlimited.
    std::atomic<uint64_t> perAddressRate{0};
    std::atomic<uint64_t> perAddressMaxBytes{0};
    std::atomic<int64_t> quotaWindowMs{24 * 3600 * 1000};
    std::atomic<uint8_t> draining{0};           // 1: finish the current response, then park instead of reading on
    std::atomic<uint32_t> activeSenders{0};     // maintained by workers: bodies in flight (sizes their chunks)
    // The global limit's shared schedule (worker/pacing.h), monotonic ns: every worker reserves its chunks here
    // with a CAS, the parent reschedules it when the limit changes. The one field with many writers.
    std::atomic<int64_t> globalPaidUntilNs{0};
    std::atomic<uint32_t> generation{1};        // current generation; workers of older ones stop when idle
    std::atomic<uint32_t> auditReopen{0};       // bumped by the parent (SIGUSR1, reload): reopen the audit log
};

struct ScoreboardHeader {
    static constexpr uint32_t Magic = 0x46455242; // "FERB"
    static constexpr uint32_t Version = 1;
    uint32_t magic = Magic;
    uint32_t version = Version;
    uint32_t slotCount = 0;
    ControlBlock control;
};

// The scoreboard's layout in its shared region (ipc/shared_region.h): the header, then the slots from the
// next cache line on. Created before fork; each child inherits the mapping. Move-only.
class Scoreboard {
public:
    // Maps a zeroed region for `slotCount` slots. Throws std::system_error on mmap failure (start-up only).
    explicit Scoreboard(uint32_t slotCount);

    uint32_t slotCount() const { return header()->slotCount; }
    ControlBlock &control() { return header()->control; }
    const ControlBlock &control() const { return header()->control; }
    WorkerSlot &slot(uint32_t index) { return m_region.at<WorkerSlot>(SlotsOffset)[index]; }
    const WorkerSlot &slot(uint32_t index) const { return m_region.at<WorkerSlot>(SlotsOffset)[index]; }

private:
    // Slots start on a cache line of their own so a worker's writes never share a line with the header.
    static constexpr size_t SlotsOffset = (sizeof(ScoreboardHeader) + 63) & ~size_t(63);
    ScoreboardHeader *header() const { return m_region.at<ScoreboardHeader>(0); }
    SharedRegion m_region;
};

// A consistent copy of one slot's worker fields, for readers (parent, admin plane).
struct SlotSnapshot {
    int32_t pid = 0;
    uint32_t generation = 0;
    WorkerState state = WorkerState::Empty;
    uint64_t connectionId = 0;
    char peer[PeerTextSize]{};
    char path[PathTextSize]{};
    char security[SecurityTextSize]{};
    char tokenId[SlotTokenIdSize]{};
    char tokenLabel[SlotTokenLabelSize]{};
    uint64_t bytesSent = 0;
    uint64_t bytesTotal = 0;
    int64_t transferStartNs = 0;
    int64_t lastProgressNs = 0;
    uint64_t requestsServed = 0;
    uint64_t connectionsServed = 0;
    uint64_t totalBytesSent = 0;
    int64_t startedNs = 0;
    ExitReason lastExitReason = ExitReason::None;
    int32_t lastExitStatus = 0;
    uint32_t restarts = 0;
};
// Seqlock read: retries while the owner is mid-update, at most ReadSlotAttempts times (yielding the CPU
// between later tries, so a writer preempted on this CPU can finish). Empty when every try was torn: the
// owner is stuck or died inside its write section (it is reaped soon; clearWorkerFields() then makes the
// slot readable again). Cost: a few hundred bytes copied per try.
constexpr int ReadSlotAttempts = 1000;
[[nodiscard]] std::optional<SlotSnapshot> readSlot(const WorkerSlot &slot);

// Writer side of the seqlock, used by the slot's owner only:
//   { SlotWriteGuard g(slot); slot.state = ...; copyText(slot.path, ...); }
class SlotWriteGuard {
public:
    explicit SlotWriteGuard(WorkerSlot &slot);
    ~SlotWriteGuard();
    SlotWriteGuard(const SlotWriteGuard &) = delete;
    SlotWriteGuard &operator=(const SlotWriteGuard &) = delete;

private:
    WorkerSlot &m_slot;
};

// Copies `text` into a fixed text field of a slot, NUL-terminated, marking truncation with "...".
// Byte-wise relaxed atomic stores: inside a SlotWriteGuard the seqlock orders them for readers.
void copyText(std::atomic<char> *field, size_t fieldSize, const char *text, size_t length);
// Copies a slot's text field out into `out` (same size), NUL-terminated. Byte-wise relaxed atomic loads.
void loadText(char *out, const std::atomic<char> *field, size_t fieldSize);
// Resets a slot's worker fields (parent, while no process owns it: before fork, after reaping). Also makes
// `seq` even if a killed owner left it odd, so readers see the slot again.
void clearWorkerFields(WorkerSlot &slot);

} // namespace ferry::server
