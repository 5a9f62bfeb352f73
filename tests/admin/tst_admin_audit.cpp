// audit_subscribe over the real admin socket (docs/ADMIN.md §4.4): the recent lines in the reply, then one
// `audit` event per request as it finishes, in order, through a rotation of the file; audit_unsubscribe
// ends the pushes; with --audit-log off the request is refused.
#include "adminconnection.h"
#include "serverprocess.h"
#include "testclient.h"

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
    static int countLines(const QString &path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? int(file.readAll().count('\n')) : -1;
    }
    QTemporaryDir m_root;
};

QTEST_GUILESS_MAIN(TestAdminAudit)
#include "tst_admin_audit.moc"
