// The shared region under the scoreboard, the token table and the address table: its pages are zeroed and
// shared with a child forked after the mapping, a move hands the mapping over and leaves nothing behind, and
// a mapping that cannot be made says which table it was for.
#include "ipc/address_table.h"
#include "ipc/scoreboard.h"
#include "ipc/shared_region.h"
#include "ipc/token_table.h"

#include <QtTest>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>
#include <utility>

using namespace ferry::server;

class TestSharedRegion : public QObject
{
    Q_OBJECT

private slots:
    void childWritesReachTheParent()
    {
        SharedRegion region(4096, "test region");
        auto *words = region.construct<std::atomic<uint64_t>>(64, 8);
        for (int i = 0; i < 8; ++i)
            QCOMPARE(words[i].load(), uint64_t(0));
        const pid_t pid = fork();
        QVERIFY(pid >= 0);
        if (pid == 0) { // what a worker does to the scoreboard
            words[3].store(42);
            _exit(0);
        }
        int status = 0;
        QCOMPARE(waitpid(pid, &status, 0), pid);
        QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        QCOMPARE(words[3].load(), uint64_t(42));
        QCOMPARE(region.at<std::atomic<uint64_t>>(64 + 3 * 8)->load(), uint64_t(42));
    }

    void moveHandsTheMappingOver()
    {
        SharedRegion from(4096, "test region");
        void *const base = from.data();
        from.construct<std::atomic<uint32_t>>(0, 1)->store(7);
        SharedRegion to(std::move(from));
        QCOMPARE(from.data(), nullptr);
        QCOMPARE(from.size(), size_t(0));
        QCOMPARE(to.data(), base);
        QCOMPARE(to.size(), size_t(4096));
        QCOMPARE(to.at<std::atomic<uint32_t>>(0)->load(), 7u);

        SharedRegion other(8192, "other region");
        other = std::move(to); // unmaps other's own pages, takes to's
        QCOMPARE(to.data(), nullptr);
        QCOMPARE(other.data(), base);
        QCOMPARE(other.size(), size_t(4096));
    }

    void tablesMovedFromHoldNoSlots()
    {
        TokenTable tokens(3);
        TokenTable movedTokens(std::move(tokens));
        QCOMPARE(tokens.slotCount(), 0u);
        QCOMPARE(movedTokens.slotCount(), 3u);
        AddressTable addresses(64);
        AddressTable movedAddresses(std::move(addresses));
        QCOMPARE(addresses.slotCount(), 0u);
        QCOMPARE(movedAddresses.slotCount(), 64u);
        Scoreboard board(5);
        Scoreboard movedBoard(std::move(board));
        QCOMPARE(movedBoard.slotCount(), 5u);
        QCOMPARE(int(movedBoard.slot(4).state.load()), int(WorkerState::Empty));
    }

    void failedMappingNamesTheTable()
    {
        try {
            TokenTable empty(0); // mmap() of 0 bytes: EINVAL
            QFAIL("a token table of no slots was mapped");
        } catch (const std::system_error &error) {
            QCOMPARE(error.code().value(), EINVAL);
            QVERIFY2(std::string(error.what()).starts_with("mmap() of the token table: "), error.what());
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, AddressTable(48)); // not a power of two
    }
};

QTEST_GUILESS_MAIN(TestSharedRegion)
#include "tst_serverunit_sharedregion.moc"
