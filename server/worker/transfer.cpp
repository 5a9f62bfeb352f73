#include "worker/transfer.h"

#include "protocol/codec.h"

#include <algorithm>
#include <unistd.h>
#include <vector>
#include <cerrno>
#include <sys/sendfile.h>
#include <time.h>

namespace ferry::server {

namespace {

constexpr uint64_t MaxChunk = 2 * 1024 * 1024; // like nginx's sendfile_max_chunk
constexpr uint64_t MinChunk = 16 * 1024;

void sleepNs(int64_t ns)
{
    timespec pause{time_t(ns / 1000000000), long(ns % 1000000000)};
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
    }
}

// The rate limit in force now; re-read on every chunk because the admin plane may change it mid-transfer.
uint64_t rateInForce(const ControlBlock &control)
{
    return effectiveRate(control.perConnectionRate.load(std::memory_order_relaxed),
                         control.globalRate.load(std::memory_order_relaxed),
                         control.activeSenders.load(std::memory_order_relaxed));
}

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

// Zeros for the announced bytes a shrunken file can no longer provide, so the client's framing holds.
IoOutcome padWithZeros(ClientIo &io, uint64_t count)
{
    static const uint8_t zeros[64 * 1024] = {};
    while (count > 0) {
        size_t n = size_t(std::min<uint64_t>(count, sizeof zeros));
        if (IoOutcome outcome = io.send(zeros, n); outcome != IoOutcome::Ok)
            return outcome;
        count -= n;
    }
    return IoOutcome::Ok;
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

// Waits as the rate limit requires; false if the connection was aborted meanwhile.
bool pace(ClientIo &io, ControlBlock &control, uint64_t sent, int64_t startNs)
{
    for (;;) {
        uint64_t rate = rateInForce(control);
        int64_t delay = paceDelayNs(sent, monotonicNs() - startNs, rate);
        if (delay <= 0)
            return true;
        if (io.shouldAbort())
            return false;
        sleepNs(std::min<int64_t>(delay, 100'000'000)); // re-read the limits every 100 ms: they may change
        io.noteProgress(); // waiting on our own limit is not the client stalling
    }
}

// The raw bytes. Returns Ok, or the reason to stop; `shrunk` is set if the file ended early.
IoOutcome streamBytes(ClientIo &io, const UniqueFd &file, const TransferPlan &plan, Progress &progress,
                      ControlBlock &control, bool &shrunk)
{
    off_t position = off_t(plan.offset);
    int64_t startNs = monotonicNs();
    while (progress.sent < plan.length) {
        if (io.shouldAbort())
            return IoOutcome::Aborted;
        if (!pace(io, control, progress.sent, startNs))
            return IoOutcome::Aborted;
        uint64_t rate = rateInForce(control);
        size_t chunk = size_t(chunkSize(plan.length - progress.sent, rate));
        ssize_t sent = io.transport().sendFile(file.get(), &position, chunk); // sendfile(2), or pread + TLS
        if (sent > 0) {
            progress.add(uint64_t(sent));
            io.noteProgress();
        } else if (sent == 0) {
            shrunk = true; // end of file before the announced length
            return IoOutcome::Ok;
        } else if (errno == EAGAIN) {
            if (IoOutcome waited = io.waitWritable(); waited != IoOutcome::Ok)
                return waited;
        } else if (errno != EINTR) {
            return io.fail("sendfile()", errno);
        }
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
        ssize_t n = pread(file.get(), frame.data() + headerSize + got, plan.length - got, off_t(plan.offset + got));
        if (n < 0 && errno == EINTR)
            continue;
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
    uint64_t chunk = rate == 0 ? MaxChunk : std::clamp<uint64_t>(rate / 10, MinChunk, MaxChunk);
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

int64_t paceDelayNs(uint64_t sent, int64_t elapsedNs, uint64_t rate)
{
    if (rate == 0)
        return 0;
    // The time by which `sent` bytes are allowed; long double keeps 1 GiB * 1e9 from overflowing.
    long double dueNs = (long double)sent * 1e9L / (long double)rate;
    return int64_t(dueNs) - elapsedNs;
}

TransferResult sendBody(ClientIo &io, const UniqueFd &file, const TransferPlan &plan, WorkerSlot &slot,
                        ControlBlock &control, std::string &why)
{
    uint64_t rate = rateInForce(control);
    if (plan.length <= SmallBody && rate == 0)
        return sendSmallBody(io, file, plan, slot, why);
    io.beginLongWork();
    proto::Body body{plan.offset, plan.length, uint64_t(plan.info.st_size), mtimeNs(plan.info)};
    if (IoOutcome outcome = io.sendMessage(body, plan.length > 0); outcome != IoOutcome::Ok)
        return failed(io, outcome, why);
    Progress progress{slot};
    bool shrunk = false;
    control.activeSenders.fetch_add(1, std::memory_order_relaxed);
    IoOutcome outcome = streamBytes(io, file, plan, progress, control, shrunk);
    control.activeSenders.fetch_sub(1, std::memory_order_relaxed);
    if (outcome == IoOutcome::Ok && shrunk)
        outcome = padWithZeros(io, plan.length - progress.sent);
    if (outcome != IoOutcome::Ok)
        return failed(io, outcome, why);
    bool changed = shrunk || changedSince(file, plan.info);
    if (IoOutcome sent = io.sendMessage(bodyEnd(changed)); sent != IoOutcome::Ok)
        return failed(io, sent, why);
    return changed ? TransferResult::FileChanged : TransferResult::Complete;
}

} // namespace ferry::server
