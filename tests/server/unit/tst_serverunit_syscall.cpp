// retryOnEintr(), the one place where an interrupted system call is called again.
#include "base/syscall.h"

#include <QtTest>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

using namespace ferry::server;

namespace {

void onAlarm(int) {}

// Whether `pid` is blocked reading a pipe (its wait channel, "pipe_read" or "anon_pipe_read" by kernel).
bool isBlockedInPipeRead(pid_t pid)
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/wchan", int(pid));
    FILE *file = std::fopen(path, "r");
    if (!file)
        return false;
    char channel[128] = {};
    const size_t got = std::fread(channel, 1, sizeof channel - 1, file);
    std::fclose(file);
    return got > 0 && std::strstr(channel, "pipe_read") != nullptr;
}

// Polls (1 ms apart, 10 s at most) until `pid` blocks in a pipe read.
bool awaitPipeRead(pid_t pid)
{
    for (int i = 0; i < 10000; ++i) {
        if (isBlockedInPipeRead(pid))
            return true;
        usleep(1000);
    }
    return false;
}

} // namespace

class TestSyscall : public QObject
{
    Q_OBJECT

private slots:
    void interruptedCallsAreRepeatedAndOtherResultsReturned()
    {
        int calls = 0;
        const int result = retryOnEintr([&] {
            ++calls;
            errno = calls < 3 ? EINTR : 0;
            return calls < 3 ? -1 : 7;
        });
        QCOMPARE(result, 7);
        QCOMPARE(calls, 3);

        calls = 0;
        const ssize_t failed = retryOnEintr([&] {
            ++calls;
            errno = EAGAIN;
            return ssize_t(-1);
        });
        QCOMPARE(failed, ssize_t(-1));
        QCOMPARE(errno, EAGAIN); // the caller still sees why
        QCOMPARE(calls, 1);
    }

    void aReadInterruptedByASignalIsRetried()
    {
        // A real EINTR: a handler installed without SA_RESTART interrupts a blocking read() of a pipe; the
        // retry then reads the byte written after the signal.
        int pipeFds[2];
        QCOMPARE(pipe(pipeFds), 0);
        struct sigaction action {};
        action.sa_handler = onAlarm;
        struct sigaction previous {};
        QCOMPARE(sigaction(SIGALRM, &action, &previous), 0);
        int reads = 0;
        const pid_t child = fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            // Interrupts the parent's read once it blocks, waits for the retry to block again, then gives it
            // something to read. Exits 2 if the parent never blocked (the byte unblocks it anyway).
            const pid_t parent = getppid();
            const bool interrupted = awaitPipeRead(parent) && kill(parent, SIGALRM) == 0;
            // kill() wakes the reader before it returns, so the next blocked read seen is the retry.
            const bool retried = interrupted && awaitPipeRead(parent);
            const bool wrote = write(pipeFds[1], "x", 1) == 1;
            _exit(wrote && retried ? 0 : 2);
        }
        char byte = 0;
        const ssize_t got = retryOnEintr([&] {
            ++reads;
            return read(pipeFds[0], &byte, 1);
        });
        int childStatus = 0;
        QCOMPARE(waitpid(child, &childStatus, 0), child);
        sigaction(SIGALRM, &previous, nullptr);
        close(pipeFds[0]);
        close(pipeFds[1]);
        QCOMPARE(got, ssize_t(1));
        QCOMPARE(byte, 'x');
        QVERIFY2(WIFEXITED(childStatus) && WEXITSTATUS(childStatus) == 0, "the read was never seen blocking twice");
        QVERIFY2(reads >= 2, "the signal did not interrupt the read");
    }
};

QTEST_GUILESS_MAIN(TestSyscall)
#include "tst_serverunit_syscall.moc"
