// The audit log with the real binary (docs/SECURITY.md, "The audit log"): one well-formed line per
// finished request, none split, interleaved or lost under 16 concurrent clients while the file is
// rotated (rename + SIGUSR1) in the middle; a worker killed while it waits has lost no line of what it
// answered; refusals recorded; --audit-log off and a log inside the root.
#include "audit/audit_record.h"
#include "protocol/codec.h"
#include "serverprocess.h"
#include "testclient.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <map>
#include <signal.h>
#include <sys/syscall.h>
#include <thread>
#include <vector>

using namespace ferrytest;
using ferry::server::audit::parseLine;
using ferry::server::audit::Record;

namespace {

constexpr int Clients = 16;
constexpr int RequestsPerClient = 1000;
constexpr int Files = 8;

// Every line of `path` parsed; a line that does not parse, or a last line without its newline, is
// reported in `damaged`.
std::vector<Record> readLog(const QString &path, QStringList &damaged)
{
    std::vector<Record> records;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return records;
    const QByteArray text = file.readAll();
    if (!text.isEmpty() && !text.endsWith('\n'))
        damaged << QStringLiteral("%1 does not end with a newline").arg(path);
    for (const QByteArray &line : text.split('\n')) {
        if (line.isEmpty())
            continue;
        auto parsed = parseLine(line.toStdString());
        if (parsed.record)
            records.push_back(std::move(*parsed.record));
        else
            damaged << QStringLiteral("%1: %2: %3").arg(path, QString::fromStdString(parsed.error),
                                                        QString::fromUtf8(line.left(200)));
    }
    return records;
}

int countLines(const QStringList &paths)
{
    int count = 0;
    for (const QString &path : paths) {
        QFile file(path);
        if (file.open(QIODevice::ReadOnly))
            count += int(file.readAll().count('\n'));
    }
    return count;
}

// Request k of a client: a mix of kinds and results, and one path unique to (client, k) so that every
// request can be found in the log exactly once.
struct Planned {
    std::string request;
    std::string path;
    std::string result;
};
Planned plan(int client, int k)
{
    const std::string file = "f" + std::to_string(k % Files) + ".txt";
    switch (k % 4) {
    case 0: return {"GET", file, "OK"};
    case 1: return {"STAT", file, "OK"};
    case 2: return {"LIST", "", "OK"};
    default: return {"STAT", "missing/c" + std::to_string(client) + "-r" + std::to_string(k), "NOT_FOUND"};
    }
}

// Runs one client's requests; the first failure is kept in `error`.
void runClient(const ServerProcess &server, int client, std::atomic<int> &done, std::string &error, quint16 &port)
{
    TestClient connection(30000);
    if (Status s = connection.open(server.host(), server.port()); !s.ok()) {
        error = "open: " + s.toString().toStdString();
        return;
    }
    port = connection.localPort();
    for (int k = 0; k < RequestsPerClient; ++k, ++done) {
        const Planned p = plan(client, k);
        Status s;
        if (p.request == "GET")
            s = connection.get(p.path).status;
        else if (p.request == "LIST")
            s = connection.list(p.path).status;
        else
            s = connection.stat(p.path);
        const bool expected = p.result == "OK" ? s.ok() : s.is(ferry::proto::ErrorCode::NotFound);
        if (!expected) {
            error = p.request + " " + p.path + ": " + s.toString().toStdString();
            return;
        }
    }
}

// Whether `pid` is blocked in epoll_wait now (from /proc/PID/syscall: the number of the call it sleeps in).
bool isWaitingInEpoll(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/syscall").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const long call = file.readAll().split(' ').value(0).toLong();
    return call == SYS_epoll_wait || call == SYS_epoll_pwait;
}

} // namespace

class TestServerAudit : public QObject {
    Q_OBJECT
private slots:
    void everyRequestOnceAcrossARotation();
    void killedWhileWaitingLosesNoLine();
    void refusalsAreRecorded();
    void tlsRequiredIsRecorded();
    void tlsToAPlaintextOnlyServerIsRecorded();
    void offWritesNothing();
    void insideTheRootIsRefused();

private:
    QTemporaryDir m_root;
    void writeFiles();
};

void TestServerAudit::writeFiles()
{
    for (int i = 0; i < Files; ++i) {
        QFile file(m_root.filePath(QStringLiteral("f%1.txt").arg(i)));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(100 + i * 37, char('a' + i)));
    }
}

void TestServerAudit::everyRequestOnceAcrossARotation()
{
    writeFiles();
    ServerProcess server(m_root.path(), {"--workers", "4"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString log = server.stateDir() + "/audit.log", rotated = log + ".1";

    std::atomic<int> done{0};
    std::vector<std::string> errors(Clients);
    std::vector<quint16> ports(Clients);
    std::vector<std::thread> threads;
    for (int c = 0; c < Clients; ++c)
        threads.emplace_back([&, c] { runClient(server, c, done, errors[c], ports[c]); });
    // Rotate as logrotate does, while every client is in the middle of its requests.
    QTRY_VERIFY_WITH_TIMEOUT(done.load() >= Clients * RequestsPerClient / 2, 120000);
    QVERIFY(QFile::rename(log, rotated));
    QVERIFY(server.signal(SIGUSR1));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(log), 10000); // the parent or a worker made it afresh
    for (std::thread &thread : threads)
        thread.join();
    for (int c = 0; c < Clients; ++c)
        QVERIFY2(errors[c].empty(), errors[c].c_str());

    // A worker writes a request's line just after its answer: wait for the last ones.
    const int total = Clients * RequestsPerClient;
    QTRY_COMPARE_WITH_TIMEOUT(countLines({log, rotated}), total, 20000);
    QStringList damaged;
    std::vector<Record> before = readLog(rotated, damaged), after = readLog(log, damaged);
    QVERIFY2(damaged.isEmpty(), qPrintable(damaged.join('\n')));
    QVERIFY2(before.size() >= size_t(total / 4) && after.size() >= size_t(total / 4),
             qPrintable(QStringLiteral("%1 lines before the rotation, %2 after").arg(before.size()).arg(after.size())));

    // Exactly the requests that were made: per client, per kind and result, and each unique path once.
    std::map<std::string, int> seen;
    std::map<quint16, int> perPort;
    before.insert(before.end(), after.begin(), after.end());
    for (const Record &r : before) {
        ++seen[r.request + " " + r.path + " " + r.result];
        ++perPort[quint16(QString::fromStdString(r.peer).section(':', -1).toUInt())];
        QVERIFY2(r.peer.starts_with("127.0.0.1:"), r.peer.c_str());
        QCOMPARE(r.tls, std::string("none"));
        QVERIFY(r.tokenId.empty() && r.tokenLabel.empty());
        if (r.request == "GET" && r.result == "OK") {
            QCOMPARE(r.offset.value_or(99), uint64_t(0));
            QVERIFY(r.length && r.bytes == *r.length && r.bytes >= 100);
        }
    }
    for (int c = 0; c < Clients; ++c) {
        QCOMPARE(perPort[ports[c]], RequestsPerClient);
        for (int k = 3; k < RequestsPerClient; k += 4)
            QCOMPARE(seen[plan(c, k).request + " " + plan(c, k).path + " NOT_FOUND"], 1);
    }
    QCOMPARE(seen["LIST  OK"], total / 4);

    // ferry-ctl reads the same: --since reaching back takes in the rotated file, --peer picks one client.
    auto ctlLines = [&](const QStringList &filter) {
        const auto run = ServerProcess::runProgram(CTL_BIN, QStringList{"audit", "--file", log, "--json"} + filter);
        return run.exitCode == 0 && run.err.isEmpty() ? int(run.out.count('\n')) : -run.exitCode - 1;
    };
    QCOMPARE(ctlLines({"--since", "1h"}), total);
    QCOMPARE(ctlLines({}), int(after.size())); // without --since: the current file only
    QCOMPARE(ctlLines({"--since", "1h", "--peer", QStringLiteral("127.0.0.1:%1").arg(ports[5])}), RequestsPerClient);
    QCOMPARE(ctlLines({"--since", "1h", "--path", "missing"}), total / 4);
    QCOMPARE(server.stop(), 0);
}

// A worker gathers a loop turn's lines and writes them before it waits (server/worker/worker_audit.cpp):
// requests pipelined into one turn, all answered, then SIGKILL once the worker sleeps in epoll_wait, which
// skips any writing at exit. Every answered request must be in the log.
void TestServerAudit::killedWhileWaitingLosesNoLine()
{
    writeFiles();
    ServerProcess server(m_root.path(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QVERIFY(server.waitForWorkerCount(1));
    const qint64 worker = server.workerPids().value(0);
    QVERIFY(worker > 0);
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    constexpr int Pipelined = 12; // within one turn of the connection (16 requests)
    std::vector<ferry::proto::Message> requests;
    for (int i = 0; i < Pipelined; ++i)
        requests.push_back(ferry::proto::StatRequest{"f" + std::to_string(i % Files) + ".txt"});
    QVERIFY(client.sendRaw(encodeFrames(requests)));
    for (int i = 0; i < Pipelined; ++i) {
        ferry::proto::Message reply;
        QVERIFY(client.readMessage(&reply).ok());
        QVERIFY(std::holds_alternative<ferry::proto::StatReply>(reply));
    }
    QTRY_VERIFY_WITH_TIMEOUT(isWaitingInEpoll(worker), 10000);
    QCOMPARE(::kill(pid_t(worker), SIGKILL), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!server.workerPids().contains(worker), 10000);
    QStringList damaged;
    const std::vector<Record> records = readLog(server.stateDir() + "/audit.log", damaged);
    QVERIFY2(damaged.isEmpty(), qPrintable(damaged.join('\n')));
    const auto stats = std::count_if(records.begin(), records.end(), [](const Record &r) {
        return r.request == "STAT" && r.result == "OK";
    });
    QCOMPARE(int(stats), Pipelined);
    QCOMPARE(server.stop(), 0);
}

void TestServerAudit::refusalsAreRecorded()
{
    writeFiles();
    ServerProcess server(m_root.path(), {"--workers", "2", "--max-per-ip", "1"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString log = server.stateDir() + "/audit.log";
    { // first, while it is this address's only connection (the server closes it itself)
        TestClient http;
        QVERIFY(http.connectTo(server.host(), server.port()).ok());
        QVERIFY(http.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        std::vector<ferry::proto::Message> frames;
        QCOMPARE(http.waitForClose(&frames, 5000).outcome, Outcome::Closed);
        QCOMPARE(frames.size(), size_t(1)); // the ERROR saying this is not an HTTP server
    }
    TestClient first, second;
    QVERIFY(first.open(server.host(), server.port()).ok());
    QCOMPARE(first.stat("nothing/here").code, ferry::proto::ErrorCode::NotFound);
    QCOMPARE(second.open(server.host(), server.port()).outcome, Outcome::Busy);

    auto has = [&](const std::string &request, const std::string &path, const std::string &result) {
        QStringList damaged;
        for (const Record &r : readLog(log, damaged))
            if (r.request == request && r.path == path && r.result == result && r.peer.starts_with("127.0.0.1:"))
                return true;
        return false;
    };
    QTRY_VERIFY(has("STAT", "nothing/here", "NOT_FOUND"));
    QTRY_VERIFY(has("CONNECT", "", "BUSY"));        // the per-address limit
    QTRY_VERIFY(has("CONNECT", "", "BAD_REQUEST")); // an HTTP request
    QCOMPARE(server.stop(), 0);
}

void TestServerAudit::tlsRequiredIsRecorded()
{
    ServerProcess server(m_root.path(), {"--workers", "1", "--plaintext", "off"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient plain;
    QCOMPARE(plain.open(server.host(), server.port()).code, ferry::proto::ErrorCode::TlsRequired);
    const QString log = server.stateDir() + "/audit.log";
    auto recorded = [&] {
        QStringList damaged;
        for (const Record &r : readLog(log, damaged))
            if (r.request == "CONNECT" && r.result == "TLS_REQUIRED")
                return true;
        return false;
    };
    QTRY_VERIFY(recorded());
    QCOMPARE(server.stop(), 0);
}

// --plaintext only judges the first byte it reads (no peek): a TLS record is closed on, with nothing sent
// (a TLS client could not read a Ferry frame), and the audit log says why.
void TestServerAudit::tlsToAPlaintextOnlyServerIsRecorded()
{
    ServerProcess server(m_root.path(), {"--workers", "1", "--plaintext", "only"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.connectTo(server.host(), server.port()).ok());
    QVERIFY(client.sendRaw(QByteArray::fromHex("160301002a0100002603"))); // a ClientHello's first bytes
    std::vector<ferry::proto::Message> frames;
    const Status closed = client.waitForClose(&frames, 10000);
    QVERIFY2(closed.outcome == Outcome::Closed || closed.outcome == Outcome::Reset, qPrintable(closed.toString()));
    QVERIFY(frames.empty());
    const QString log = server.stateDir() + "/audit.log";
    auto recorded = [&] {
        QStringList damaged;
        for (const Record &r : readLog(log, damaged))
            if (r.request == "CONNECT" && r.result == "BAD_REQUEST")
                return true;
        return false;
    };
    QTRY_VERIFY(recorded());
    TestClient plain; // and a Ferry client is still served
    QVERIFY(plain.open(server.host(), server.port()).ok());
    QCOMPARE(server.stop(), 0);
}

void TestServerAudit::offWritesNothing()
{
    writeFiles();
    ServerProcess server(m_root.path(), {"--workers", "1", "--audit-log", "off"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    QVERIFY(client.get("f1.txt").status.ok());
    QVERIFY(server.signal(SIGUSR1)); // nothing to reopen, and nothing dies of it
    QVERIFY(client.stat("f1.txt").ok());
    QCOMPARE(server.stop(), 0);
    QVERIFY(QDir(server.stateDir()).entryList({"audit*"}, QDir::Files).isEmpty());
}

void TestServerAudit::insideTheRootIsRefused()
{
    const auto result = ServerProcess::run(
        {"--root", m_root.path(), "--plaintext", "only", "--audit-log", m_root.filePath("audit.log")});
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.err.contains("inside the served root"), result.err.constData());
    QVERIFY(!QFile::exists(m_root.filePath("audit.log")));
}

QTEST_GUILESS_MAIN(TestServerAudit)
#include "tst_server_audit.moc"
