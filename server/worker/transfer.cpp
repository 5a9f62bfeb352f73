#include "worker/transfer.h"

#include "worker/pacing.h"

#include "protocol/codec.h"
#include "base/syscall.h"

#include <algorithm>
#include <unistd.h>
#include <vector>
#include <cerrno>
#include <sys/sendfile.h>
#include <time.h>

namespace ferry::server {

namespace {

constexpr uint64_t MaxChunk = 2 * 1024 * 1024; // like nginx's sendfile_max_chunk
// Limited chunks: small enough that a 1 s window holds the limit within a few percent whatever the chunk
// boundaries, large enough that a slow limit costs few syscalls (a page; 4 sendfile() calls a second at 16k/s).
constexpr uint64_t MinChunk = 4 * 1024;
constexpr uint64_t ChunksPerSecond = 20; // a limited chunk is 50 ms of the rate
// The longest a paced body sleeps at once: limits are re-read (they may change) and an abort noticed
// at least this often.
constexpr int64_t MaxPauseNs = 100'000'000;

void sleepNs(int64_t ns)
{
    timespec pause{time_t(ns / 1000000000), long(ns % 1000000000)};
    // nanosleep() leaves the time still to sleep in `pause` when interrupted: the retry sleeps only that.
    [[maybe_unused]] const int slept = retryOnEintr([&] { return nanosleep(&pause, &pause); });
}

// Sleeps until `when` (monotonic) in slices of at most MaxPauseNs; after each, `recheck(when)` may move
// `when` (a limit changed). False if the connection was aborted meanwhile.
template <class Recheck>
bool waitUntil(ClientIo &io, int64_t when, Recheck &&recheck)
{
    for (int64_t now = monotonicNs(); now < when; now = monotonicNs()) {
        if (io.shouldAbort())
            return false;
        sleepNs(std::min(when - now, MaxPauseNs));
        io.noteProgress(); // waiting on our own limit is not the client stalling
        recheck(when);
    }
    return true;
}

// Paces one body under both limits (pacing.h). Before each chunk it waits for the body's own schedule,
// then reserves the chunk on the shared global schedule and waits for its turn; after the send it pays
// for what the socket took. Unlimited, it costs three relaxed loads per chunk and no clock read.
class BodyPacer {
public:
    BodyPacer(ControlBlock &control, SharedLimit token) : m_control(control), m_token(token) {}

    // Picks the next chunk (at most `remaining` bytes) and waits until it may go. False if aborted.
    bool admit(ClientIo &io, uint64_t remaining, size_t &chunk)
    {
        m_reserved = 0;
        m_tokenReserved = 0;
        uint64_t perConnection = m_control.perConnectionRate.load(std::memory_order_relaxed);
        uint64_t global = m_control.globalRate.load(std::memory_order_relaxed);
        if (perConnection != 0 || m_own.rate() != 0) {
            if (!waitForOwnTurn(io, perConnection))
                return false;
            perConnection = m_own.rate(); // as re-read while waiting
            global = m_control.globalRate.load(std::memory_order_relaxed);
        }
        // Sized after the wait, with the limits now in force: a chunk sized before a cut would be billed
        // at the new rate for seconds.
        uint32_t senders = m_control.activeSenders.load(std::memory_order_relaxed);
        uint64_t rate = effectiveRate(perConnection, global, senders);
        if (m_token.rate != 0 && (rate == 0 || m_token.rate < rate))
            rate = m_token.rate;
        chunk = size_t(chunkSize(remaining, rate));
        if ((global != 0 && !waitForGlobalTurn(io, chunk, global)) || (m_token.rate != 0 && !waitForTokenTurn(io, chunk))) {
            settle(0); // aborted: give the turns back to the others
            return false;
        }
        return true;
    }

    // After the send: `sent` bytes of the admitted chunk went (0 if none did).
    void settle(uint64_t sent)
    {
        m_own.paid(m_ownTurnNs, sent);
        if (m_reserved > sent)
            refundShared(m_control.globalPaidUntilNs, m_reserved - sent, m_reservedRate);
        m_reserved = 0;
        if (m_tokenReserved > sent)
            refundShared(*m_token.paidUntilNs, m_tokenReserved - sent, m_token.rate);
        m_tokenReserved = 0;
    }

private:
    bool waitForOwnTurn(ClientIo &io, uint64_t perConnection)
    {
        int64_t now = monotonicNs();
        m_own.setRate(perConnection, now);
        bool ok = waitUntil(io, m_own.sendTimeNs(now), [this](int64_t &when) {
            int64_t later = monotonicNs();
            m_own.setRate(m_control.perConnectionRate.load(std::memory_order_relaxed), later);
            when = m_own.sendTimeNs(later);
        });
        // The chunk counts against the body's own limit from its own turn: time spent waiting for the
        // global one after it is not time this connection chose not to send, and must not cost it rate.
        m_ownTurnNs = monotonicNs();
        return ok;
    }

    bool waitForGlobalTurn(ClientIo &io, uint64_t chunk, uint64_t global)
    {
        m_reserved = chunk;
        m_reservedRate = global;
        int64_t start = reserveShared(m_control.globalPaidUntilNs, monotonicNs(), chunk, global);
        return waitUntil(io, start, [this, &global](int64_t &when) {
            // The parent reschedules the shared schedule on a change; our turn, already taken, follows alike.
            uint64_t latest = m_control.globalRate.load(std::memory_order_relaxed);
            when = rescheduled(when, monotonicNs(), global, latest);
            global = latest;
        });
    }

    // The token's schedule: like the global one, but its rate is fixed for the token's life.
    bool waitForTokenTurn(ClientIo &io, uint64_t chunk)
    {
        m_tokenReserved = chunk;
        const int64_t start = reserveShared(*m_token.paidUntilNs, monotonicNs(), chunk, m_token.rate);
        return waitUntil(io, start, [](int64_t &) {});
    }

    ControlBlock &m_control;
    SharedLimit m_token;
    uint64_t m_tokenReserved = 0;
    Pace m_own;
    int64_t m_ownTurnNs = 0;
    uint64_t m_reserved = 0; // bytes reserved on the global schedule for the admitted chunk
    uint64_t m_reservedRate = 0;
};

// Whether the file is no longer the one announced in BODY: modified, shrunk, or no longer stat-able.
bool changedSince(const UniqueFd &file, const struct stat &announced)
{
    struct stat now {};
    return fstat(file.get(), &now) != 0 || mtimeNs(now) != mtimeNs(announced) || now.st_size < announced.st_size;
}

proto::BodyEnd bodyEnd(bool changed)
{
    return {changed ? proto::ErrorCode::FileChanged : proto::ErrorCode::Ok,
            changed ? "the file changed while it was being sent" : ""};
}

// Failed, with `why` set from the outcome that ended the transfer.
TransferResult failed(const ClientIo &io, IoOutcome outcome, std::string &why)
{
    why = outcome == IoOutcome::Error ? io.lastError() : ioOutcomeName(outcome);
    return TransferResult::Failed;
}

struct Progress {
    WorkerSlot &slot;
    uint64_t sent = 0;
    void add(uint64_t count)
    {
        sent += count;
        slot.bytesSent.store(sent, std::memory_order_relaxed);
        slot.totalBytesSent.fetch_add(count, std::memory_order_relaxed);
        slot.lastProgressNs.store(monotonicNs(), std::memory_order_relaxed);
    }
};

// The raw bytes, paced by `pacer`. Returns Ok, or the reason to stop; `shrunk` is set if the file ended
// early.
IoOutcome streamBytes(ClientIo &io, const UniqueFd &file, const TransferPlan &plan, Progress &progress,
                      BodyPacer &pacer, bool &shrunk)
{
    off_t position = off_t(plan.offset);
    while (progress.sent < plan.length) {
        if (io.shouldAbort())
            return IoOutcome::Aborted;
        size_t chunk = 0;
        if (!pacer.admit(io, plan.length - progress.sent, chunk))
            return IoOutcome::Aborted;
        // sendfile(2), or pread + SSL_write over TLS
        const ssize_t sent = retryOnEintr([&] { return io.transport().sendFile(file.get(), &position, chunk); });
        pacer.settle(sent > 0 ? uint64_t(sent) : 0); // no syscall: errno still tells why if nothing went
        if (sent > 0) {
            progress.add(uint64_t(sent));
            io.noteProgress();
        } else if (sent == 0) {
            shrunk = true; // end of file before the announced length
            return IoOutcome::Ok;
        } else if (errno == EAGAIN) {
            if (IoOutcome waited = io.waitWritable(); waited != IoOutcome::Ok)
                return waited;
        } else {
            return io.fail("sendfile()", errno);
        }
    }
    return IoOutcome::Ok;
}

// Zeros for the announced bytes a shrunken file can no longer provide, so the client's framing holds.
// Paced by the body's own pacer and counted like the file's bytes (PROTOCOL.md, BODY_END): a rate limit
// caps what goes on the wire, and a file truncated from 10 GiB to nothing would otherwise send 10 GiB of
// zeros at full speed.
IoOutcome padWithZeros(ClientIo &io, const TransferPlan &plan, Progress &progress, BodyPacer &pacer)
{
    static const uint8_t zeros[64 * 1024] = {};
    while (progress.sent < plan.length) {
        size_t chunk = 0;
        if (io.shouldAbort() || !pacer.admit(io, plan.length - progress.sent, chunk))
            return IoOutcome::Aborted;
        const size_t n = std::min(chunk, sizeof zeros);
        const IoOutcome outcome = io.send(zeros, n);
        pacer.settle(outcome == IoOutcome::Ok ? n : 0);
        if (outcome != IoOutcome::Ok)
            return outcome;
        progress.add(n);
    }
    return IoOutcome::Ok;
}

// Small bodies (the common case of many requests) go out in one send(): BODY, the bytes and BODY_END
// together, read with pread() instead of sendfile(). Fewer syscalls and one TCP segment instead of three.
constexpr uint64_t SmallBody = 64 * 1024;

TransferResult sendSmallBody(ClientIo &io, const UniqueFd &file, const TransferPlan &plan, WorkerSlot &slot,
                             std::string &why)
{
    thread_local std::vector<uint8_t> frame;
    frame.clear();
    proto::encode(proto::Body{plan.offset, plan.length, uint64_t(plan.info.st_size), mtimeNs(plan.info)}, frame);
    size_t headerSize = frame.size();
    frame.resize(headerSize + plan.length); // zero-filled: a file that shrank is padded with zeros
    size_t got = 0;
    while (got < plan.length) {
        const ssize_t n = retryOnEintr([&] {
            return pread(file.get(), frame.data() + headerSize + got, plan.length - got, off_t(plan.offset + got));
        });
        if (n <= 0)
            break;
        got += size_t(n);
    }
    bool changed = got < plan.length || changedSince(file, plan.info);
    proto::encode(bodyEnd(changed), frame);
    if (IoOutcome outcome = io.send(frame.data(), frame.size()); outcome != IoOutcome::Ok)
        return failed(io, outcome, why);
    Progress{slot}.add(plan.length);
    return changed ? TransferResult::FileChanged : TransferResult::Complete;
}

} // namespace

int64_t mtimeNs(const struct stat &info)
{
    return int64_t(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
}

uint64_t chunkSize(uint64_t remaining, uint64_t rate)
{
    uint64_t chunk = rate == 0 ? MaxChunk : std::clamp<uint64_t>(rate / ChunksPerSecond, MinChunk, MaxChunk);
    return std::min(chunk, remaining);
}

uint64_t effectiveRate(uint64_t perConnection, uint64_t global, uint32_t activeSenders)
{
    uint64_t share = global == 0 ? 0 : std::max<uint64_t>(1, global / std::max<uint32_t>(1, activeSenders));
    if (perConnection == 0)
        return share;
    if (share == 0)
        return perConnection;
    return std::min(perConnection, share);
}

TransferResult sendBody(ClientIo &io, const UniqueFd &file, const TransferPlan &plan, WorkerSlot &slot,
                        ControlBlock &control, std::string &why)
{
    bool limited = control.perConnectionRate.load(std::memory_order_relaxed) != 0
                   || control.globalRate.load(std::memory_order_relaxed) != 0 || (plan.token.paidUntilNs && plan.token.rate != 0);
    if (plan.length <= SmallBody && !limited)
        return sendSmallBody(io, file, plan, slot, why);
    io.beginLongWork();
    proto::Body body{plan.offset, plan.length, uint64_t(plan.info.st_size), mtimeNs(plan.info)};
    if (IoOutcome outcome = io.sendMessage(body, plan.length > 0); outcome != IoOutcome::Ok)
        return failed(io, outcome, why);
    Progress progress{slot};
    bool shrunk = false;
    BodyPacer pacer(control, plan.token.paidUntilNs ? plan.token : SharedLimit{}); // one schedule for the file's bytes and any padding after them
    control.activeSenders.fetch_add(1, std::memory_order_relaxed);
    IoOutcome outcome = streamBytes(io, file, plan, progress, pacer, shrunk);
    if (outcome == IoOutcome::Ok && shrunk)
        outcome = padWithZeros(io, plan, progress, pacer);
    control.activeSenders.fetch_sub(1, std::memory_order_relaxed);
    if (outcome != IoOutcome::Ok)
        return failed(io, outcome, why);
    bool changed = shrunk || changedSince(file, plan.info);
    if (IoOutcome sent = io.sendMessage(bodyEnd(changed)); sent != IoOutcome::Ok)
        return failed(io, sent, why);
    return changed ? TransferResult::FileChanged : TransferResult::Complete;
}

} // namespace ferry::server
