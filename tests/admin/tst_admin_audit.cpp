// audit_subscribe over the real admin socket (docs/ADMIN.md §4.4): the recent lines in the reply, then one
// `audit` event per request as it finishes, in order, through a rotation of the file; audit_unsubscribe
// ends the pushes; with --audit-log off the request is refused. A burst of lines reaches a subscriber that
// reads whole and in order; one that stops reading delays no other, gets every line if it reads again in
// time, and is dropped if it does not.
#include "adminconnection.h"
#include "scopedenv.h"
#include "serverprocess.h"
#include "testclient.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

using namespace ferrytest;
using ferry::admin::Json;

class TestAdminAudit : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_root.isValid());
        QFile file(m_root.filePath("a.txt"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("hello");
    }

    void recentThenLiveThroughARotation()
    {
        ServerProcess server(m_root.path(), {"--workers", "2"});
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        TestClient client;
        QVERIFY(client.open(server.host(), server.port()).ok());
        for (int i = 0; i < 3; ++i)
            QVERIFY(client.stat("before-" + std::to_string(i)).is(ferry::proto::ErrorCode::NotFound));
        const QString log = server.stateDir() + "/audit.log";
        QTRY_COMPARE(countLines(log), 3); // the worker writes each line just after its answer

        AdminConnection admin;
        QVERIFY(admin.open(server.adminSocketPath()));
        auto reply = admin.call("audit_subscribe", Json{{"lines", 2}});
        QVERIFY(reply && at(*reply, {"ok"}) == true);
        QCOMPARE(textAt(*reply, {"path"}), log.toStdString());
        const Json &recent = at(*reply, {"recent"});
        QCOMPARE(recent.size(), size_t(2)); // the last two of the three, oldest first
        QCOMPARE(textAt(recent[0], {"path"}), std::string("before-1"));
        QCOMPARE(textAt(recent[1], {"path"}), std::string("before-2"));

        QVERIFY(client.get("a.txt").status.ok());
        auto pushed = admin.nextEvent();
        QVERIFY(pushed);
        QCOMPARE(textAt(*pushed, {"event"}), std::string("audit"));
        QCOMPARE(intAt(*pushed, {"seq"}), 1);
        QCOMPARE(textAt(*pushed, {"record", "request"}), std::string("GET"));
        QCOMPARE(textAt(*pushed, {"record", "path"}), std::string("a.txt"));
        QCOMPARE(intAt(*pushed, {"record", "bytes"}), 5);

        // logrotate's way: rename, SIGUSR1. The tail finishes the old file and follows the new one.
        QVERIFY(QFile::rename(log, log + ".1"));
        QVERIFY(server.signal(SIGUSR1));
        QTRY_VERIFY(QFile::exists(log)); // the parent reopened: made it afresh
        for (int i = 0; i < 3; ++i)
            QVERIFY(client.stat("after-" + std::to_string(i)).is(ferry::proto::ErrorCode::NotFound));
        for (int i = 0; i < 3; ++i) {
            pushed = admin.nextEvent();
            QVERIFY(pushed);
            QCOMPARE(intAt(*pushed, {"seq"}), 2 + i);
            QCOMPARE(textAt(*pushed, {"record", "path"}), "after-" + std::to_string(i));
        }

        reply = admin.call("audit_unsubscribe");
        QVERIFY(reply && at(*reply, {"ok"}) == true);
        QVERIFY(client.stat("unseen").is(ferry::proto::ErrorCode::NotFound));
        QVERIFY(!admin.nextEvent(1000)); // nothing is pushed any more
        QCOMPARE(server.stop(), 0);
    }

    // Many more lines at once than one client's output buffer holds in events (the server once read 1 MiB
    // of them in one go and pushed them all in the same turn, dropping the subscriber for not reading).
    // The subscriber reads, but not at once: it waits for the server's first push, then for a reply on
    // another connection, which the server's loop can only send once that push turn is over.
    void burstReachesASubscriberThatReads()
    {
        ServerProcess server(m_root.path(), {"--workers", "1"});
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        const QByteArray burst = burstOfLines(server, BurstLines);
        QVERIFY(!burst.isEmpty());
        AdminConnection admin, other;
        QVERIFY(admin.open(server.adminSocketPath()) && other.open(server.adminSocketPath()));
        auto reply = admin.call("audit_subscribe", Json{{"lines", 0}});
        QVERIFY(reply && at(*reply, {"ok"}) == true);
        // Subscribed to status too, as Ferry Admin is; the interval is long, so that after the push that
        // follows the reply nothing but audit events arrives until the test has read the burst.
        reply = admin.call("subscribe", Json{{"interval_ms", 60000}});
        QVERIFY(reply && at(*reply, {"ok"}) == true);
        auto first = admin.nextEvent();
        QVERIFY(first && textAt(*first, {"event"}) == "status");
        QVERIFY(appendToLog(server, burst));
        QVERIFY(admin.waitForData());
        QVERIFY(other.call("status"));
        QVERIFY(readsTheBurst(admin, BurstLines));
        QVERIFY2(!server.stderrText().contains("dropped"), server.stderrText().constData());
        QVERIFY(admin.call("status")); // still connected
        QCOMPARE(server.stop(), 0);
    }

    // Each subscriber has its own place in the lines read: while one has stopped reading, with its output
    // buffer full, another gets every new line at once (before, it waited until the slow one was dropped
    // after the stall time, 5 s); the slow one, reading again within that time, gets every line, in order.
    void aSlowSubscriberDoesNotDelayAFastOne()
    {
        ServerProcess server(m_root.path(), {"--workers", "1"});
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        const QByteArray burst = burstOfLines(server, FillingLines);
        QVERIFY(!burst.isEmpty());
        AdminConnection fast, slow;
        QVERIFY(fast.open(server.adminSocketPath()) && slow.open(server.adminSocketPath()));
        for (AdminConnection *admin : {&fast, &slow}) {
            auto reply = admin->call("audit_subscribe", Json{{"lines", 0}});
            QVERIFY(reply && at(*reply, {"ok"}) == true);
        }
        QElapsedTimer sinceBurst;
        sinceBurst.start();
        QVERIFY(appendToLog(server, burst));
        QVERIFY(readsTheBurst(fast, FillingLines)); // `slow` reads nothing meanwhile
        const qint64 fastMs = sinceBurst.elapsed();
        qInfo("the fast subscriber had all %d lines after %lld ms", FillingLines, qlonglong(fastMs));
        QVERIFY2(!server.stderrText().contains("dropped"), "the fast one got its lines only once the slow one went");
        QVERIFY2(fastMs < 5000, qPrintable(QString::number(fastMs)));

        QVERIFY(readsTheBurst(slow, FillingLines)); // what waited for it, none skipped
        TestClient client;
        QVERIFY(client.open(server.host(), server.port()).ok());
        QVERIFY(client.stat("after-the-burst").is(ferry::proto::ErrorCode::NotFound));
        for (AdminConnection *admin : {&fast, &slow}) { // and both go on from there
            auto pushed = admin->nextEvent();
            QVERIFY(pushed);
            QCOMPARE(intAt(*pushed, {"seq"}), FillingLines + 1);
            QCOMPARE(textAt(*pushed, {"record", "path"}), std::string("after-the-burst"));
        }
        QVERIFY2(!server.stderrText().contains("dropped"), server.stderrText().constData());
        QCOMPARE(server.stop(), 0);
    }

    // A subscriber that takes nothing while lines wait keeps them in the backlog, and the file is read only
    // while that is below its bound (1 MiB of records): the reader gets ahead of it by that much and no
    // further (AheadLines of the burst are more) until the stall time (shortened for the test, 5 s as
    // built) has the stalled one dropped, with the reason; then it goes on. The stall time is long enough
    // that an unbounded backlog would let the reader have all the burst before it.
    void stalledSubscriberIsDroppedAndTheOthersGoOn()
    {
        ScopedEnv stall("FERRY_TEST_AUDIT_STALL_MS", "2000");
        ServerProcess server(m_root.path(), {"--workers", "1"});
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        const QByteArray burst = burstOfLines(server, BurstLines);
        QVERIFY(!burst.isEmpty());
        AdminConnection reader, stalled;
        QVERIFY(reader.open(server.adminSocketPath()) && stalled.open(server.adminSocketPath()));
        for (AdminConnection *admin : {&reader, &stalled}) {
            auto reply = admin->call("audit_subscribe", Json{{"lines", 0}});
            QVERIFY(reply && at(*reply, {"ok"}) == true);
        }
        QVERIFY(appendToLog(server, burst));
        QVERIFY(readsTheBurst(reader, AheadLines)); // `stalled` reads nothing
        // The server logs the drop before it reads on, and stderr is a file: no wait is needed here.
        QVERIFY2(server.stderrText().contains("dropped: took no audit line"),
                 "the reader got further ahead of a stalled subscriber than the backlog's bound");
        QVERIFY(readsTheBurst(reader, BurstLines, AheadLines + 1));
        QVERIFY(stalled.waitForClose(5000));
        const QByteArray log = server.stderrText();
        QCOMPARE(log.count("dropped: took no audit line for 2000 ms while lines waited"), 1);
        QVERIFY2(!log.contains("not reading its replies"), log.constData()); // the stall rule, not the buffer
        QCOMPARE(server.stop(), 0);
    }

    void badArgumentsAndOff()
    {
        ServerProcess server(m_root.path(), {"--workers", "1", "--audit-log", "off"});
        QVERIFY2(server.start(), qPrintable(server.diagnostics()));
        AdminConnection admin;
        QVERIFY(admin.open(server.adminSocketPath()));
        auto reply = admin.call("audit_subscribe");
        QVERIFY(reply);
        QCOMPARE(textAt(*reply, {"error", "code"}), std::string("conflict"));
        QCOMPARE(server.stop(), 0);

        ServerProcess on(m_root.path(), {"--workers", "1"});
        QVERIFY2(on.start(), qPrintable(on.diagnostics()));
        AdminConnection second;
        QVERIFY(second.open(on.adminSocketPath()));
        reply = second.call("audit_subscribe", Json{{"lines", 5000}});
        QVERIFY(reply);
        QCOMPARE(textAt(*reply, {"error", "code"}), std::string("bad_argument"));
        QCOMPARE(on.stop(), 0);
    }

private:
    // Each burst line is one of the server's own records (for a refused STAT) with its path numbered:
    // about 200 bytes, so an event (about 45 bytes more) is a quarter longer than its line, and the burst
    // is several MiB.
    static constexpr int BurstLines = 20000;
    // About 1.4 MB of events: more than a subscriber that reads nothing can hold (512 KiB of its output
    // buffer and the socket's 208 KiB), and less than the backlog keeps for it (1 MiB of records) on top.
    static constexpr int FillingLines = 6000;
    // Lines of about 217 bytes: what a stalled subscriber's buffers hold (about 2800 events) and the most the
    // backlog holds (AuditBacklog::MaxBytes and one poll: about 6000 records) are fewer.
    static constexpr int AheadLines = 10000;

    // `count` audit lines shaped like the record the server writes for a STAT of a missing name.
    static QByteArray burstOfLines(ServerProcess &server, int count)
    {
        TestClient client;
        if (!client.open(server.host(), server.port()).ok() || !client.stat("x").is(ferry::proto::ErrorCode::NotFound))
            return {};
        const QString log = server.stateDir() + "/audit.log";
        if (!QTest::qWaitFor([&] { return countLines(log) == 1; }, 5000))
            return {};
        QFile file(log);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        auto parsed = ferry::admin::parseJson(file.readAll().trimmed().toStdString());
        if (!parsed.value || !parsed.value->is_object())
            return {};
        QByteArray burst;
        for (int i = 0; i < count; ++i) {
            (*parsed.value)["path"] = "burst-" + std::to_string(i);
            burst += QByteArray::fromStdString(ferry::admin::dumpJson(*parsed.value)) + '\n';
        }
        qInfo("a burst of %d lines, %lld bytes", count, qlonglong(burst.size()));
        return burst;
    }

    // Appends `lines` with one write, as a burst of workers' lines reaches the file between two polls.
    static bool appendToLog(ServerProcess &server, const QByteArray &lines)
    {
        QFile file(server.stateDir() + "/audit.log");
        return file.open(QIODevice::WriteOnly | QIODevice::Append) && file.write(lines) == lines.size();
    }

    // Reads events until the burst's audit events `from` … `count` are in, checking each is whole and in order.
    static bool readsTheBurst(AdminConnection &admin, int count, int from = 1)
    {
        for (int seq = from; seq <= count;) {
            auto pushed = admin.nextEvent(10000);
            if (!pushed) {
                qWarning("the subscriber got %d of %d lines, then nothing", seq - 1, count);
                return false;
            }
            if (textAt(*pushed, {"event"}) != "audit")
                continue; // a status push
            const std::string path = "burst-" + std::to_string(seq - 1);
            if (intAt(*pushed, {"seq"}) != seq || textAt(*pushed, {"record", "path"}) != path
                || textAt(*pushed, {"record", "request"}) != "STAT") {
                qWarning("event %d is not line %d: %s", seq, seq - 1, ferry::admin::dumpJson(*pushed).c_str());
                return false;
            }
            ++seq;
        }
        return true;
    }

    static int countLines(const QString &path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? int(file.readAll().count('\n')) : -1;
    }
    QTemporaryDir m_root;
};

QTEST_GUILESS_MAIN(TestAdminAudit)
#include "tst_admin_audit.moc"
