// fd passing between parent and worker, the event loop's timers, and the scoreboard's helpers.
#include "net/event_loop.h"
#include "ipc/handoff.h"
#include "ipc/scoreboard.h"

#include <QDir>
#include <QTest>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace ferry::server;

namespace {
int openFdCount() { return int(QDir("/proc/self/fd").entryList(QDir::NoDotAndDotDot | QDir::System).size()); }
} // namespace

class TestHandoff : public QObject {
    Q_OBJECT
private slots:
    void roundTripWithFd()
    {
        const int before = openFdCount();
        {
            UniqueFd parentEnd, workerEnd;
            QCOMPARE(makeChannel(parentEnd, workerEnd), 0);
            int pipeFds[2];
            QCOMPARE(pipe2(pipeFds, O_CLOEXEC), 0);
            UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);

            HandoffMessage message;
            message.kind = HandoffKind::Dispatch;
            message.connectionId = 42;
            message.peer = "127.0.0.1:5555";
            message.bytes = {1, 2, 3, 0xF7};
            message.fd = std::move(readEnd);
            QCOMPARE(sendHandoff(parentEnd.get(), message), 0);
            message.fd.reset(); // the sender's copy closes; the receiver's must still work

            ReceiveResult received = receiveHandoff(workerEnd.get());
            QCOMPARE(int(received.status), int(ReceiveStatus::Ok));
            QCOMPARE(int(received.message.kind), int(HandoffKind::Dispatch));
            QCOMPARE(received.message.connectionId, uint64_t(42));
            QCOMPARE(QString::fromStdString(received.message.peer), QStringLiteral("127.0.0.1:5555"));
            QCOMPARE(received.message.bytes, (std::vector<uint8_t>{1, 2, 3, 0xF7}));
            QVERIFY(received.message.fd.isValid());
            QVERIFY(fcntl(received.message.fd.get(), F_GETFD) & FD_CLOEXEC);
            QCOMPARE(write(writeEnd.get(), "x", 1), ssize_t(1));
            char c = 0;
            QCOMPARE(read(received.message.fd.get(), &c, 1), ssize_t(1));
            QCOMPARE(c, 'x');
        }
        QCOMPARE(openFdCount(), before);
    }

    void manyRoundTripsLeakNothing()
    {
        const int before = openFdCount();
        UniqueFd parentEnd, workerEnd;
        QCOMPARE(makeChannel(parentEnd, workerEnd), 0);
        for (int i = 0; i < 2000; ++i) {
            HandoffMessage message;
            message.kind = i % 2 ? HandoffKind::Park : HandoffKind::Done;
            message.connectionId = uint64_t(i);
            message.fd.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
            message.bytes.assign(size_t(i % 300), uint8_t(i));
            QCOMPARE(sendHandoff(workerEnd.get(), message), 0);
            ReceiveResult received = receiveHandoff(parentEnd.get());
            QCOMPARE(int(received.status), int(ReceiveStatus::Ok));
            QCOMPARE(received.message.connectionId, uint64_t(i));
            QCOMPARE(received.message.bytes.size(), size_t(i % 300));
        }
        parentEnd.reset();
        workerEnd.reset();
        QCOMPARE(openFdCount(), before);
    }

    void rejectedMessageClosesReceivedFds_data()
    {
        QTest::addColumn<QByteArray>("datagram");
        QTest::newRow("wrong header") << QByteArray("not a handoff").leftJustified(16, '\0');
        // A well-formed header, as sendHandoff() writes it, but with two fds where at most one may come.
        UniqueFd a, b;
        QCOMPARE(makeChannel(a, b), 0);
        QCOMPARE(sendHandoff(a.get(), HandoffMessage{HandoffKind::Park, 7, "127.0.0.1:1", {1, 2}, {}, {}}), 0);
        char wire[512];
        const ssize_t size = recv(b.get(), wire, sizeof wire, 0);
        QVERIFY(size > 0);
        QTest::newRow("valid header, two fds") << QByteArray(wire, qsizetype(size));
    }
    void rejectedMessageClosesReceivedFds()
    {
        QFETCH(QByteArray, datagram);
        UniqueFd parentEnd, workerEnd;
        QCOMPARE(makeChannel(parentEnd, workerEnd), 0);
        const int before = openFdCount();
        iovec iov{datagram.data(), size_t(datagram.size())};
        alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))]{};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(2 * sizeof(int));
        int fds[2] = {STDIN_FILENO, STDOUT_FILENO};
        std::memcpy(CMSG_DATA(c), fds, sizeof fds);
        QVERIFY(sendmsg(workerEnd.get(), &msg, 0) > 0);
        ReceiveResult received = receiveHandoff(parentEnd.get());
        QCOMPARE(int(received.status), int(ReceiveStatus::Error));
        QCOMPARE(received.error, EPROTO);
        QCOMPARE(openFdCount(), before); // both received copies closed
    }

    void closedAndWouldBlock()
    {
        UniqueFd parentEnd, workerEnd;
        QCOMPARE(makeChannel(parentEnd, workerEnd), 0);
        QCOMPARE(int(receiveHandoff(parentEnd.get(), MSG_DONTWAIT).status), int(ReceiveStatus::WouldBlock));
        workerEnd.reset();
        QCOMPARE(int(receiveHandoff(parentEnd.get()).status), int(ReceiveStatus::Closed));
    }

    void oversizeIsRefused()
    {
        UniqueFd parentEnd, workerEnd;
        QCOMPARE(makeChannel(parentEnd, workerEnd), 0);
        HandoffMessage message;
        message.bytes.resize(MaxHandoffBytes + 1);
        QCOMPARE(sendHandoff(parentEnd.get(), message), EMSGSIZE);
        message.bytes.resize(MaxHandoffBytes); // the largest allowed still fits one datagram
        QCOMPARE(sendHandoff(parentEnd.get(), message), 0);
        QCOMPARE(receiveHandoff(workerEnd.get()).message.bytes.size(), MaxHandoffBytes);
    }

    void timersRunInOrderAndCancel()
    {
        EventLoop loop;
        QString order;
        loop.addTimer(std::chrono::milliseconds(30), [&] { order += 'b'; });
        auto cancelled = loop.addTimer(std::chrono::milliseconds(10), [&] { order += 'x'; });
        loop.addTimer(std::chrono::milliseconds(5), [&] { order += 'a'; });
        loop.addTimer(std::chrono::milliseconds(40), [&] { loop.stop(); });
        loop.cancelTimer(cancelled);
        QCOMPARE(loop.run(), 0);
        QCOMPARE(order, QStringLiteral("ab"));
    }

    void fdCallbackMayRemoveItself()
    {
        EventLoop loop;
        int pipeFds[2];
        QCOMPARE(pipe2(pipeFds, O_CLOEXEC | O_NONBLOCK), 0);
        UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
        int calls = 0;
        QCOMPARE(loop.add(readEnd.get(), 0x001 /* EPOLLIN */, [&](uint32_t) {
            ++calls;
            loop.remove(readEnd.get());
            loop.addTimer(std::chrono::milliseconds(20), [&] { loop.stop(); });
        }), 0);
        QCOMPARE(write(writeEnd.get(), "x", 1), ssize_t(1)); // stays readable: level-triggered
        QCOMPARE(loop.run(), 0);
        QCOMPARE(calls, 1);
        QVERIFY(!loop.isWatched(readEnd.get()));
    }

    void scoreboardSlots()
    {
        Scoreboard board(3);
        QCOMPARE(board.slotCount(), 3u);
        WorkerSlot &slot = board.slot(2);
        QCOMPARE(reinterpret_cast<uintptr_t>(&slot) % 64, uintptr_t(0));
        {
            SlotWriteGuard guard(slot);
            slot.state.store(WorkerState::Sending);
            copyText(slot.path, sizeof slot.path, "dir/file.bin", 12);
            slot.bytesSent.store(123);
        }
        const std::optional<SlotSnapshot> read = readSlot(slot);
        QVERIFY(read);
        const SlotSnapshot &snapshot = *read;
        QCOMPARE(int(snapshot.state), int(WorkerState::Sending));
        QCOMPARE(QString(snapshot.path), QStringLiteral("dir/file.bin"));
        QCOMPARE(snapshot.bytesSent, uint64_t(123));
        QCOMPARE(slot.seq.load() % 2, 0u);
        std::string longPath(1000, 'a');
        longPath += "/tail.txt";
        copyText(slot.path, sizeof slot.path, longPath.data(), longPath.size());
        char text[PathTextSize];
        loadText(text, slot.path, sizeof text);
        QString shown(text);
        QVERIFY(shown.startsWith("..."));
        QVERIFY(shown.endsWith("/tail.txt"));
        QCOMPARE(shown.size(), int(PathTextSize - 1));
        QCOMPARE(workerStateLetter(WorkerState::Idle), '_');
    }
};

QTEST_GUILESS_MAIN(TestHandoff)
#include "tst_serverunit_handoff.moc"
