// audit_subscribe over the real admin socket (docs/ADMIN.md §4.4): the recent lines in the reply, then one
// `audit` event per request as it finishes, in order, through a rotation of the file; audit_unsubscribe
// ends the pushes; with --audit-log off the request is refused. A burst of lines reaches a subscriber that
// reads whole and in order; one that stops reading is dropped rather than holding the others back.
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

    // A subscriber that takes nothing while lines wait holds them back for everyone, so after the stall
    // time (shortened for the test, 5 s as built) it is dropped, with the reason, and the others go on.
    void stalledSubscriberIsDroppedAndTheOthersGoOn()
    {
        ScopedEnv stall("FERRY_TEST_AUDIT_STALL_MS", "300");
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
        QElapsedTimer sinceBurst;
        sinceBurst.start();
        QVERIFY(appendToLog(server, burst));
        QVERIFY(readsTheBurst(reader, BurstLines)); // `stalled` reads nothing
        QVERIFY2(sinceBurst.elapsed() >= 300, "the lines went past a subscriber that took none");
        QVERIFY(stalled.waitForClose(5000));
        const QByteArray log = server.stderrText();
        QCOMPARE(log.count("dropped: took no audit line for 300 ms while lines waited"), 1);
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

    // Reads events until the burst's `count` audit events are in, checking each is whole and in order.
    static bool readsTheBurst(AdminConnection &admin, int count)
    {
        for (int seq = 1; seq <= count;) {
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
