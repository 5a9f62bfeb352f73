// The scoreboard's seqlock: a reader never spins forever on a slot whose writer died mid-update, the parent's
// reset after reaping makes such a slot readable again, and a reader racing a live writer only ever gets a
// picture the writer actually wrote.
#include "ipc/scoreboard.h"

#include <QtTest>

#include <atomic>
#include <csignal>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace ferry::server;

namespace {

// Forks a child that enters the slot's write section, stores a half-update and dies by SIGKILL there, as a
// worker killed by the watchdog or `kill-worker --now` would. Returns once the child is reaped.
bool killWriterInsideWriteSection(WorkerSlot &slot)
{
    const pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        SlotWriteGuard guard(slot);
        slot.state.store(WorkerState::Sending, std::memory_order_relaxed);
        copyText(slot.path, sizeof slot.path, "half/written", 12);
        raise(SIGKILL);
        _exit(1); // not reached
    }
    int status = 0;
    return waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

} // namespace

class TestScoreboard : public QObject
{
    Q_OBJECT

private slots:
    void writerKilledInsideWriteSectionGivesATornRead()
    {
        Scoreboard board(2);
        WorkerSlot &slot = board.slot(1);
        QVERIFY(killWriterInsideWriteSection(slot));
        QCOMPARE(slot.seq.load() % 2, 1u);
        // Bounded: returns (empty) instead of waiting for a writer that will never finish.
        QVERIFY(!readSlot(slot).has_value());
        QVERIFY(readSlot(board.slot(0)).has_value()); // the other slots are unaffected
    }

    void resetAfterReapingMakesTheSlotReadableAgain()
    {
        Scoreboard board(1);
        WorkerSlot &slot = board.slot(0);
        QVERIFY(killWriterInsideWriteSection(slot));
        clearWorkerFields(slot); // what the Supervisor does after reaping
        QCOMPARE(slot.seq.load() % 2, 0u);
        const std::optional<SlotSnapshot> read = readSlot(slot);
        QVERIFY(read);
        QCOMPARE(int(read->state), int(WorkerState::Empty));
        QCOMPARE(QString(read->path), QString());
        // The next process in the slot writes under a working seqlock again.
        {
            SlotWriteGuard guard(slot);
            slot.state.store(WorkerState::Idle, std::memory_order_relaxed);
        }
        QCOMPARE(slot.seq.load() % 2, 0u);
        QVERIFY(readSlot(slot).has_value());
    }

    void readerRacingAWriterSeesOnlyWholePictures()
    {
        // The writer alternates between two pictures whose path and byte count belong together; every
        // snapshot the reader accepts must be one of them, never a mix.
        Scoreboard board(1);
        WorkerSlot &slot = board.slot(0);
        const std::string paths[2] = {std::string(200, 'a') + "/first.bin", std::string(150, 'b') + "/second"};
        std::atomic<bool> done{false};
        std::thread writer([&] {
            for (uint64_t i = 0; !done.load(std::memory_order_relaxed); ++i) {
                SlotWriteGuard guard(slot);
                const std::string &path = paths[i % 2];
                copyText(slot.path, sizeof slot.path, path.data(), path.size());
                slot.bytesTotal.store(path.size(), std::memory_order_relaxed);
            }
        });
        int consistent = 0, mixed = 0;
        for (int i = 0; i < 200000; ++i) {
            const std::optional<SlotSnapshot> read = readSlot(slot);
            if (!read || read->bytesTotal == 0)
                continue;
            const bool whole = std::strlen(read->path) == read->bytesTotal
                               && (read->path == paths[0] || read->path == paths[1]);
            ++(whole ? consistent : mixed);
        }
        done = true;
        writer.join();
        QCOMPARE(mixed, 0);
        QVERIFY(consistent > 0);
    }
};

QTEST_GUILESS_MAIN(TestScoreboard)
#include "tst_serverunit_scoreboard.moc"
