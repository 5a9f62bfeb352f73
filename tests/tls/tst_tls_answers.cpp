// Small TLS answers (STAT, LIST pages, errors, bodies up to 64 KiB) never make the worker wait: one
// worker, a TLS client that pipelines many requests and never reads, and the worker's other TLS clients
// are served while that one is still stuck; the stuck one is served in full once it reads, or cut at
// the send timeout if it never does, and then its worker holds nothing of it. A LIST larger than the
// socket buffers is made page by page as the socket drains, with the same effect.
#include "polling.h"
#include "serverprocess.h"
#include "testtree.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTest>

using namespace tlstest;
using ferrytest::TestTree;

namespace {

constexpr int Entries = 400;   // in many/: one LIST answer is two pages, about 36 KB
constexpr int Pipelined = 300; // LISTs, each followed by a STAT: 11 MB of answers, far past the socket buffers

// A tree whose LIST answers are large: `Entries` names of 70 characters in many/.
bool addManyEntries(TestTree &tree)
{
    for (int i = 0; i < Entries; ++i) {
        const QString name =
            QStringLiteral("many/entry-%1-").arg(i, 3, 10, QLatin1Char('0')) + QString(60, QLatin1Char('x'));
        if (tree.addFile(name, 0, 1).isEmpty())
            return false;
    }
    return true;
}

// Sends the pipeline without reading: LIST many, STAT small.bin, `Pipelined` times.
bool sendPipeline(TlsRawClient &client)
{
    for (int i = 0; i < Pipelined; ++i)
        if (!client.send(proto::ListRequest{"many"}) || !client.send(proto::StatRequest{"small.bin"}))
            return false;
    return true;
}

// Reads one LIST answer (its pages up to the last) and the STAT after it; false with *why otherwise.
bool readPipelinedPair(TlsRawClient &client, QString *why)
{
    size_t entries = 0;
    for (;;) {
        proto::Message message;
        if (!client.read(&message, why))
            return false;
        const auto *page = std::get_if<proto::ListPage>(&message);
        if (!page) {
            *why = QStringLiteral("no LIST_PAGE");
            return false;
        }
        entries += page->entries.size();
        if (page->last)
            break;
    }
    proto::Message stat;
    if (entries != size_t(Entries) || !client.read(&stat, why) || !std::holds_alternative<proto::StatReply>(stat)) {
        *why = QStringLiteral("%1 entries, then %2").arg(entries).arg(*why);
        return false;
    }
    return std::get<proto::StatReply>(stat).entry.size == 10000;
}

// Waits until the server has begun serving a request (a status query each time: never inside QTRY_*).
bool awaitFirstRequest(const ServerProcess &server)
{
    return ferrytest::pollUntil([&] { return requestsServed(server); }, [](qint64 n) { return n > 0; }, 10000) > 0;
}

// The other client's requests: a STAT, a LIST, a small body and one sent the interleaved way.
void serveOtherWithMid(const ServerProcess &server)
{
    serveOther(server, {{"small.bin", 10000}, {"mid.bin", 3 * 1024 * 1024 + 7}});
}

} // namespace

class TestTlsAnswers : public QObject
{
    Q_OBJECT
private slots:
    void clientThatNeverReadsHoldsUpNoOther();
    void stuckAnswerIsCutAtTheSendTimeout();
    void hugeListingToAClientThatDoesNotReadHoldsUpNoOther();
};

void TestTlsAnswers::clientThatNeverReadsHoldsUpNoOther()
{
    TestTree tree;
    QVERIFY(addManyEntries(tree));
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("mid.bin"), 3 * 1024 * 1024 + 7, 5).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--send-timeout"), QStringLiteral("60s")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    TlsRawClient stuck(20000, 16 * 1024); // a small receive buffer: its side is full after a few answers
    QString why;
    QVERIFY2(stuck.open(server.host(), server.port(), &why), qPrintable(why));
    QVERIFY(sendPipeline(stuck));
    QVERIFY(awaitFirstRequest(server));

    // A worker that waited for the stuck client's socket would keep this one waiting for 60 s.
    serveOtherWithMid(server);
    if (QTest::currentTestFailed())
        return;
    // It was served while the stuck client still had answers owed: the worker had not read its
    // requests past the answer its socket would not take (11 MB cannot all be in socket buffers).
    const qint64 served = requestsServed(server) - 4;
    QVERIFY2(served > 0 && served < 2 * Pipelined, qPrintable(QString::number(served)));
    QVERIFY(!server.stderrText().contains("answer cut"));

    // Nothing of the stuck client's was lost or cut: once it reads, every answer comes, in order.
    for (int i = 0; i < Pipelined; ++i)
        QVERIFY2(readPipelinedPair(stuck, &why), qPrintable(QStringLiteral("answer %1: %2").arg(i).arg(why)));
    QCOMPARE(requestsServed(server), qint64(2 * Pipelined + 4));
    // Each is in the audit log once it was delivered: OK, none cut.
    QTRY_COMPARE_WITH_TIMEOUT(auditLines(server, "LIST", "OK"), Pipelined + 1, 5000);
    QCOMPARE(auditLines(server, "STAT", "OK"), Pipelined + 1);
    QCOMPARE(auditLines(server, {}, "INTERRUPTED"), 0);
}

void TestTlsAnswers::stuckAnswerIsCutAtTheSendTimeout()
{
    TestTree tree;
    QVERIFY(addManyEntries(tree));
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--send-timeout"), QStringLiteral("2s")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));
    const qint64 worker = server.workerPids().first();
    // A worker just forked still holds the parent's descriptors until it closes them: count its own
    // once it has served a client and let go of it.
    QString why;
    {
        TlsRawClient first(10000);
        QVERIFY2(first.open(server.host(), server.port(), &why), qPrintable(why));
        proto::Message answer;
        QVERIFY(first.send(proto::StatRequest{"small.bin"}));
        QVERIFY2(first.read(&answer, &why), qPrintable(why));
    }
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionSocketCount(worker), 0, 5000);
    const int idleFds = ServerProcess::openFdCountOutside(worker, tree.root());

    TlsRawClient stuck(10000, 16 * 1024);
    QVERIFY2(stuck.open(server.host(), server.port(), &why), qPrintable(why));
    // Started before the first request leaves: the worker may find the socket full, and start its
    // send timeout, while the rest of the pipeline is still being sent.
    QElapsedTimer sincePipeline;
    sincePipeline.start();
    QVERIFY(sendPipeline(stuck));
    QTRY_VERIFY_WITH_TIMEOUT(server.stderrText().contains("answer cut"), 15000);
    const QByteArray log = server.stderrText();
    QVERIFY2(log.contains("from 127.0.0.1") && log.contains("send timeout"), log.constData());
    // Not before the send timeout, counted from the moment an answer had to wait (after the first request).
    QVERIFY2(sincePipeline.elapsed() >= 2000, qPrintable(QStringLiteral("%1 ms").arg(sincePipeline.elapsed())));
    // The audit log records the answer that never reached the client as cut, not as served.
    QTRY_COMPARE_WITH_TIMEOUT(auditLines(server, {}, "INTERRUPTED"), 1, 5000);

    // The same worker serves on, holding nothing of the cut connection: no socket, no descriptor.
    QCOMPARE(server.workerPids(), QList<qint64>{worker});
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionSocketCount(worker), 0, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(ServerProcess::openFdCountOutside(worker, tree.root()), idleFds, 5000);
    TlsRawClient other(5000);
    QVERIFY2(other.open(server.host(), server.port(), &why), qPrintable(why));
    proto::Message answer;
    QVERIFY(other.send(proto::StatRequest{"small.bin"}));
    QVERIFY2(other.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::StatReply>(answer));

    // The cut client finds its answers end early.
    int read = 0;
    while (read < Pipelined && readPipelinedPair(stuck, &why))
        ++read;
    QVERIFY2(read < Pipelined, qPrintable(QString::number(read)));
}

// A LIST whose answer is larger than any socket buffer (24,000 entries, 6.3 MB; the server's send
// buffer grows to 4 MiB at most here) makes its pages as the socket drains: a client that asks for it
// and does not read holds up nobody, and gets every entry once it reads.
void TestTlsAnswers::hugeListingToAClientThatDoesNotReadHoldsUpNoOther()
{
    constexpr int Huge = 24000; // names of 246 bytes: fewer files to make for the same size
    TestTree tree;
    for (int i = 0; i < Huge; ++i) {
        const QString name = QStringLiteral("huge/e%1-").arg(i, 5, 10, QLatin1Char('0')) + QString(240, QLatin1Char('y'));
        QVERIFY(!tree.addFile(name, 0, 1).isEmpty());
    }
    QVERIFY(!tree.addFile(QStringLiteral("small.bin"), 10000, 4).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("mid.bin"), 3 * 1024 * 1024 + 7, 5).isEmpty());
    ServerProcess server(tree.root(), tlsOnly({QStringLiteral("--workers"), QStringLiteral("1"),
                                               QStringLiteral("--send-timeout"), QStringLiteral("60s")}));
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TlsRawClient stuck(20000, 16 * 1024);
    QString why;
    QVERIFY2(stuck.open(server.host(), server.port(), &why), qPrintable(why));
    QVERIFY(stuck.send(proto::ListRequest{"huge"}));
    QVERIFY(awaitFirstRequest(server));

    serveOtherWithMid(server); // a LIST made to its end in one turn would keep this one waiting for 60 s
    if (QTest::currentTestFailed())
        return;
    QVERIFY(!server.stderrText().contains("answer cut"));
    size_t entries = 0;
    for (bool last = false; !last;) {
        proto::Message message;
        QVERIFY2(stuck.read(&message, &why), qPrintable(QStringLiteral("after %1 entries: %2").arg(entries).arg(why)));
        const auto *page = std::get_if<proto::ListPage>(&message);
        QVERIFY(page);
        entries += page->entries.size();
        last = page->last;
    }
    QCOMPARE(entries, size_t(Huge));
    QTRY_COMPARE_WITH_TIMEOUT(auditLines(server, "LIST", "OK"), 2, 5000); // the stuck one, the other one
}

QTEST_GUILESS_MAIN(TestTlsAnswers)
#include "tst_tls_answers.moc"
