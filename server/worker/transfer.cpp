#include "worker/transfer.h"

#include "worker/body_pacer.h"

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

void sleepNs(int64_t ns)
{
    timespec pause{time_t(ns / 1000000000), long(ns % 1000000000)};
    // nanosleep() leaves the time still to sleep in `pause` when interrupted: the retry sleeps only that.
    [[maybe_unused]] const int slept = retryOnEintr([&] { return nanosleep(&pause, &pause); });
}

// Waits until `pacer` lets the next chunk go (body_pacer.h), sleeping in the slices it names. False if
// the connection was aborted meanwhile (the turn is then given back).
bool admit(ClientIo &io, BodyPacer &pacer, uint64_t remaining, size_t &chunk)
{
    for (;;) {
        const int64_t now = monotonicNs();
        const int64_t wake = pacer.admitAt(now, remaining, chunk);
        if (wake == 0)
            return true;
        if (io.shouldAbort()) {
            pacer.settle(0);
            return false;
        }
        sleepNs(wake - now);
        io.noteProgress(); // waiting on our own limit is not the client stalling
    }
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
        if (!admit(io, pacer, plan.length - progress.sent, chunk))
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
        if (io.shouldAbort() || !admit(io, pacer, plan.length - progress.sent, chunk))
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

bool sendsAtOnce(const TransferPlan &plan, const ControlBlock &control)
{
    bool limited = control.perConnectionRate.load(std::memory_order_relaxed) != 0
                   || control.globalRate.load(std::memory_order_relaxed) != 0 || plan.token.rate != 0
                   || plan.address.rate != 0;
    return plan.length <= SmallBody && !limited;
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
    if (sendsAtOnce(plan, control))
        return sendSmallBody(io, file, plan, slot, why);
    io.beginLongWork();
    proto::Body body{plan.offset, plan.length, uint64_t(plan.info.st_size), mtimeNs(plan.info)};
    if (IoOutcome outcome = io.sendMessage(body, plan.length > 0); outcome != IoOutcome::Ok)
        return failed(io, outcome, why);
    Progress progress{slot};
    bool shrunk = false;
    BodyPacer pacer(control, plan.token, plan.address); // one schedule for the file's bytes and any padding after them
    control.activeSenders.fetch_add(1, std::memory_order_relaxed);
    IoOutcome outcome = streamBytes(io, file, plan, progress, pacer, shrunk);
    if (outcome == IoOutcome::Ok && shrunk)
        outcome = padWithZeros(io, plan, progress, pacer);
    io.transport().endBody();
    control.activeSenders.fetch_sub(1, std::memory_order_relaxed);
    if (outcome != IoOutcome::Ok)
        return failed(io, outcome, why);
    bool changed = shrunk || changedSince(file, plan.info);
    if (IoOutcome sent = io.sendMessage(bodyEnd(changed)); sent != IoOutcome::Ok)
        return failed(io, sent, why);
    return changed ? TransferResult::FileChanged : TransferResult::Complete;
}

} // namespace ferry::server
