// TLS bodies are sent without blocking the worker: one worker, a TLS client that asks for a long body
// and then reads slowly or not at all, and the worker's other TLS clients are answered at once; a body
// to a client that stops reading is cut at the send timeout, as a plaintext one is, without the worker
// spinning meanwhile or keeping its connection; a body far larger than the socket buffers reaches a
// slow reader byte for byte.
#include "adminrequest.h"
#include "serverprocess.h"
#include "testtree.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <chrono>
#include <unistd.h>

using namespace tlstest;
using ferrytest::TestTree;

class TestTlsBodies : public QObject
{
    Q_OBJECT
private slots:
    void slowReaderHoldsUpNoOtherClient();
    void stalledBodyIsCutAtTheSendTimeout();
    void slowReaderGetsLargeBodiesWholeAndVerified();
    void addressLimitsHoldForInterleavedBodies();
    void byeIsAnsweredThenClosedWithCloseNotify();

private:
    // The one worker's slot as the admin plane shows it ({} if there is none): now, or in a status had.
    static QJsonObject onlyWorker(const ServerProcess &server);
    static QJsonObject onlyWorker(const QJsonObject &status);
    // The CPU time (user and system, in clock ticks) of a process; -1 if unknown.
    static qint64 cpuTicks(qint64 pid);
    // How many of a process's descriptors lead to something whose name starts with `target`
    // ("socket:"); -1 if unknown.
    static qint64 descriptorsTo(qint64 pid, const QString &target);
    // SHA-256 of `length` bytes of the file at `path` from `offset`.
    static QByteArray fileDigest(const QString &path, qint64 offset, qint64 length);
};

qint64 TestTlsBodies::cpuTicks(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray line = stat.readAll();
    // After "pid (name) ": state is field 3, utime 14 and stime 15 of proc(5).
    const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    return fields.size() > 12 ? fields[11].toLongLong() + fields[12].toLongLong() : -1;
}

qint64 TestTlsBodies::descriptorsTo(qint64 pid, const QString &target)
{
    const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
    if (!fds.exists())
        return -1;
    qint64 count = 0;
    for (const QString &fd : fds.entryList(QDir::NoDotAndDotDot | QDir::System)) {
        // readlink(2) itself: QFile::symLinkTarget() makes "socket:[…]" a path under /proc.
        char link[4096];
        const ssize_t size = ::readlink(QFile::encodeName(fds.filePath(fd)).constData(), link, sizeof link);
        count += size > 0 && QString::fromLocal8Bit(link, size).startsWith(target) ? 1 : 0;
    }
    return count;
}

QByteArray TestTlsBodies::fileDigest(const QString &path, qint64 offset, qint64 length)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly) || !file.seek(offset))
        return {};
    const QByteArray bytes = file.read(length);
    return bytes.size() == length ? QCryptographicHash::hash(bytes, QCryptographicHash::Sha256) : QByteArray();
}

QJsonObject TestTlsBodies::onlyWorker(const ServerProcess &server)
{
    return onlyWorker(adminStatus(server));
}

QJsonObject TestTlsBodies::onlyWorker(const QJsonObject &status)
{
    const QJsonArray workers = status.value(QStringLiteral("workers")).toArray();
    return workers.size() == 1 ? workers.first().toObject() : QJsonObject();
}

void TestTlsBodies::slowReaderHoldsUpNoOtherClient()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("big.bin"), 96 * 1024 * 1024, 3).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("mid.bin"), 3 * 1024 * 1024 + 7, 5).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--send-timeout"), QStringLiteral("60s")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    // It asks for 96 MiB and reads nothing: the worker's socket to it is full within a few MiB.
    TlsRawClient slow(10000, 64 * 1024);
    QString why;
    QVERIFY2(slow.open(server.host(), server.port(), &why), qPrintable(why));
    QVERIFY(slow.send(proto::GetRequest{"big.bin", 0, proto::ToEnd}));
    const auto bigUnderWay = [](const QJsonObject &status) {
        const QJsonObject worker = onlyWorker(status);
        return worker.value(QStringLiteral("path")).toString() == QLatin1String("big.bin")
               && worker.value(QStringLiteral("bytes_sent")).toInteger() > 0;
    };
    QVERIFY(bigUnderWay(ferrytest::awaitAdminStatus(server.adminSocketPath(), bigUnderWay, 10000)));

    // Another TLS client of the same worker: a blocking body sender would keep it waiting for the send
    // timeout (60 s). Each answer must come within the client's 5 s timeout, and all of them while the
    // stalled body is still under way (checked below).
    TlsRawClient other(5000);
    QVERIFY2(other.open(server.host(), server.port(), &why), qPrintable(why));
    proto::Message answer;
    QVERIFY(other.send(proto::StatRequest{"small.bin"}));
    QVERIFY2(other.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::StatReply>(answer));
    QCOMPARE(std::get<proto::StatReply>(answer).entry.size, uint64_t(10000));
    QVERIFY(other.send(proto::ListRequest{""}));
    QVERIFY2(other.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::ListPage>(answer));
    QCOMPARE(std::get<proto::ListPage>(answer).entries.size(), size_t(3));
    uint64_t received = 0;
    QVERIFY(other.send(proto::GetRequest{"small.bin", 0, proto::ToEnd}));
    QVERIFY2(other.readBody(&received, &why), qPrintable(why));
    QCOMPARE(received, uint64_t(10000));
    // A body long enough to be sent the interleaved way too, beside the stalled one.
    QVERIFY(other.send(proto::GetRequest{"mid.bin", 0, proto::ToEnd}));
    QVERIFY2(other.readBody(&received, &why), qPrintable(why));
    QCOMPARE(received, uint64_t(3 * 1024 * 1024 + 7));

    // The slow client was not cut to make room: its body is still under way, and it can read it all.
    QVERIFY(bigUnderWay(ferrytest::adminStatus(server.adminSocketPath())));
    QVERIFY2(slow.readBody(&received, &why), qPrintable(why));
    QCOMPARE(received, uint64_t(96 * 1024 * 1024));
}

void TestTlsBodies::stalledBodyIsCutAtTheSendTimeout()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("big.bin"), 64 * 1024 * 1024, 6).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--send-timeout"), QStringLiteral("2s")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QString why;
    const qint64 workerPid = onlyWorker(server).value(QStringLiteral("pid")).toInteger();
    QVERIFY(workerPid > 0);
    const QString Socket = QStringLiteral("socket:");
    const qint64 socketsBefore = descriptorsTo(workerPid, Socket); // its channel to the parent, and such
    QVERIFY(socketsBefore >= 0);
    TlsRawClient stalled(10000, 64 * 1024);
    QVERIFY2(stalled.open(server.host(), server.port(), &why), qPrintable(why));
    QElapsedTimer sinceGet;
    QVERIFY(stalled.send(proto::GetRequest{"big.bin", 0, proto::ToEnd}));
    sinceGet.start();
    const auto underWay = [](const QJsonObject &status) {
        const QJsonObject worker = onlyWorker(status);
        return worker.value(QStringLiteral("bytes_total")).toInteger() == 64 * 1024 * 1024
               && worker.value(QStringLiteral("bytes_sent")).toInteger() > 0;
    };
    QVERIFY(underWay(ferrytest::awaitAdminStatus(server.adminSocketPath(), underWay, 5000)));
    const qint64 ticksBefore = cpuTicks(workerPid);
    QCOMPARE(descriptorsTo(workerPid, Socket), socketsBefore + 1); // the body's connection
    auto cut = [&] { return server.stderrText().contains("to 127.0.0.1"); };
    QTRY_VERIFY_WITH_TIMEOUT(cut(), 15000);
    const QByteArray log = server.stderrText();
    QVERIFY2(log.contains("GET 'big.bin' to 127.0.0.1") && log.contains("send timeout"), log.constData());
    // Not before the send timeout counted from the last byte the client took (which was after the GET).
    QVERIFY2(sinceGet.elapsed() >= 2000, qPrintable(QStringLiteral("%1 ms").arg(sinceGet.elapsed())));
    // The worker no longer shows the body, and it serves others.
    const auto stateOf = [](const QJsonObject &status) {
        return onlyWorker(status).value(QStringLiteral("state")).toString();
    };
    const auto idle = [&](const QJsonObject &status) { return stateOf(status) == QLatin1String("idle"); };
    QCOMPARE(stateOf(ferrytest::awaitAdminStatus(server.adminSocketPath(), idle, 5000)), QStringLiteral("idle"));
    // The worker waited on the full socket for the 2 s, not retrying it in a loop: a few ticks of CPU
    // at most (a retrying worker burns its core, or its share of it on a loaded machine).
    const qint64 ticksAfter = cpuTicks(workerPid);
    QVERIFY2(ticksAfter >= 0 && ticksAfter - ticksBefore < 10,
             qPrintable(QStringLiteral("%1 ticks while stalled").arg(ticksAfter - ticksBefore)));
    // The cut body's connection is closed, not left behind.
    QTRY_COMPARE_WITH_TIMEOUT(descriptorsTo(workerPid, Socket), socketsBefore, 5000);
    TlsRawClient other(5000);
    QVERIFY2(other.open(server.host(), server.port(), &why), qPrintable(why));
    // The cut client finds its body ended early: what it reads now stops before 64 MiB.
    uint64_t received = 0;
    QVERIFY(!stalled.readBody(&received, &why));
    QVERIFY2(received < 64 * 1024 * 1024, qPrintable(why));
}

// Bodies many times the socket buffers (64 KiB at the client), to a reader that takes them slowly: the
// server's socket stays full, so its writes block again and again, mostly in the middle of one of its
// 64 KiB file reads, and what arrives is still the file byte for byte, a whole file and a range that
// starts and ends off every record and read boundary. Another client of the same worker is answered
// meanwhile.
void TestTlsBodies::slowReaderGetsLargeBodiesWholeAndVerified()
{
    TestTree tree;
    constexpr qint64 Size = 12 * 1024 * 1024 + 5;
    const QString bigPath = tree.addFile(QStringLiteral("big.bin"), Size, 7);
    QVERIFY(!bigPath.isEmpty());
    const QString midPath = tree.addFile(QStringLiteral("mid.bin"), 2 * 1024 * 1024 + 3, 8);
    QVERIFY(!midPath.isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--send-timeout"), QStringLiteral("60s")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient slow(20000, 64 * 1024);
    QString why;
    QVERIFY2(slow.open(server.host(), server.port(), &why), qPrintable(why));
    QVERIFY(slow.send(proto::GetRequest{"big.bin", 0, proto::ToEnd}));
    const auto bigUnderWay = [](const QJsonObject &status) {
        const QJsonObject worker = onlyWorker(status);
        return worker.value(QStringLiteral("bytes_total")).toInteger() == Size
               && worker.value(QStringLiteral("bytes_sent")).toInteger() > 0;
    };
    QVERIFY(bigUnderWay(ferrytest::awaitAdminStatus(server.adminSocketPath(), bigUnderWay, 10000)));

    TlsRawClient other(5000);
    QVERIFY2(other.open(server.host(), server.port(), &why), qPrintable(why));
    QVERIFY(other.send(proto::GetRequest{"mid.bin", 0, proto::ToEnd}));
    QCryptographicHash midDigest(QCryptographicHash::Sha256);
    uint64_t received = 0;
    QVERIFY2(other.readBody(&received, &why, &midDigest), qPrintable(why));
    QCOMPARE(midDigest.result(), fileDigest(midPath, 0, 2 * 1024 * 1024 + 3));
    // Served beside the slow body, not after it.
    QVERIFY(bigUnderWay(ferrytest::adminStatus(server.adminSocketPath())));

    // About 0.4 ms per 16 KiB read: some 40 MB/s, well under what the server sends.
    slow.setReadPause(std::chrono::microseconds(400));
    QCryptographicHash bigDigest(QCryptographicHash::Sha256);
    QVERIFY2(slow.readBody(&received, &why, &bigDigest), qPrintable(why));
    QCOMPARE(qint64(received), Size);
    QCOMPARE(bigDigest.result(), fileDigest(bigPath, 0, Size));

    constexpr uint64_t Offset = 100003, Length = 5 * 1024 * 1024 + 11;
    QVERIFY(slow.send(proto::GetRequest{"big.bin", Offset, Length}));
    QCryptographicHash rangeDigest(QCryptographicHash::Sha256);
    QVERIFY2(slow.readBody(&received, &why, &rangeDigest), qPrintable(why));
    QCOMPARE(received, Length);
    QCOMPARE(rangeDigest.result(), fileDigest(bigPath, qint64(Offset), qint64(Length)));
}

// The per-address limits hold for bodies the worker loop interleaves (TLS bodies over 64 KiB) as for the
// blocking ones: --rate-per-ip 2M paces two 1 MiB bodies to at least 0.9 s, and --max-bytes-per-ip counts
// what they sent, so a third GET that would go past it is refused before its first byte (FORBIDDEN: a
// version 1 client).
void TestTlsBodies::addressLimitsHoldForInterleavedBodies()
{
    TestTree tree;
    constexpr uint64_t Size = 1024 * 1024 + 7;
    QVERIFY(!tree.addFile(QStringLiteral("mid.bin"), Size, 5).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--rate-per-ip"), QStringLiteral("2M"),
                                               QStringLiteral("--max-bytes-per-ip"), QStringLiteral("2200000")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient client(10000);
    QString why;
    QVERIFY2(client.open(server.host(), server.port(), &why), qPrintable(why));
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < 2; ++i) {
        uint64_t received = 0;
        QVERIFY(client.send(proto::GetRequest{"mid.bin", 0, proto::ToEnd}));
        QVERIFY2(client.readBody(&received, &why), qPrintable(why));
        QCOMPARE(received, Size);
    }
    QVERIFY2(timer.elapsed() >= 900, qPrintable(QStringLiteral("%1 ms").arg(timer.elapsed())));
    proto::Message answer;
    QVERIFY(client.send(proto::GetRequest{"mid.bin", 0, proto::ToEnd}));
    QVERIFY2(client.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::Error>(answer));
    QCOMPARE(std::get<proto::Error>(answer).code, proto::ErrorCode::Forbidden);
    QVERIFY(client.send(proto::GetRequest{"mid.bin", 0, 2200000 - 2 * Size})); // what is left, exactly
    uint64_t received = 0;
    QVERIFY2(client.readBody(&received, &why), qPrintable(why));
    QCOMPARE(received, 2200000 - 2 * Size);
}

// BYE inside TLS (docs/PROTOCOL.md §10.6): the body before it in full, then the server ends the session
// cleanly (close_notify) and closes first.
void TestTlsBodies::byeIsAnsweredThenClosedWithCloseNotify()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("mid.bin"), 3 * 1024 * 1024 + 7, 5).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    for (const auto &[path, size] : {std::pair{"small.bin", 10000}, std::pair{"mid.bin", 3 * 1024 * 1024 + 7}}) {
        TlsRawClient client;
        client.setProtocolVersion(proto::ProtocolVersion2);
        QString why;
        QVERIFY2(client.open(server.host(), server.port(), &why), qPrintable(why));
        QVERIFY(client.send(proto::GetRequest{path, 0, proto::ToEnd}));
        QVERIFY(client.send(proto::Bye{}));
        uint64_t received = 0;
        QVERIFY2(client.readBody(&received, &why), qPrintable(why)); // the mid-sized one streams
        QCOMPARE(received, uint64_t(size));
        QVERIFY2(client.awaitCloseNotify(&why), qPrintable(why));
    }
}

QTEST_GUILESS_MAIN(TestTlsBodies)
#include "tst_tls_bodies.moc"
