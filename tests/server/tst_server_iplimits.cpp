// Limits per client address with the real binary (docs/SECURITY.md, "Limits"): --rate-per-ip holds across
// all of one address's connections in every worker, and separately for each address; --max-bytes-per-ip
// refuses, before its first byte, the GET that would go past the address's quota, and the audit log
// records the refusal; reload and ferry-ctl change the limits; behind a PROXY header the limit follows
// the client the header names. Clients bind 127.0.0.x source addresses (loopback has them all).
#include "polling.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <atomic>
#include <csignal>
#include <functional>
#include <thread>

using namespace ferrytest;
using proto::ErrorCode;

namespace {

constexpr double MiB = 1024.0 * 1024.0;

ServerProcess::RunResult ctl(const ServerProcess &server, QStringList args)
{
    return ServerProcess::runProgram(QStringLiteral(CTL_BIN),
                                     QStringList{"--admin-socket", server.adminSocketPath()} + args);
}

// Connects from `source` (after `prefix`, a PROXY header, if any) and says HELLO in `version`.
Status openFrom(TestClient &client, const ServerProcess &server, const QString &source, uint16_t version = 1,
                const QByteArray &prefix = {})
{
    client.setSourceAddress(source);
    if (Status connected = client.connectTo(server.host(), server.port()); !connected.ok())
        return connected;
    if (!prefix.isEmpty() && !client.sendRaw(prefix))
        return Status::of(Outcome::Failed, "sending the PROXY header failed");
    return client.hello(version == 1 ? "ferry-tests/1" : "ferry-tests/2", version);
}

QByteArray proxyHeader(const QString &client, quint16 port)
{
    return QStringLiteral("PROXY TCP4 %1 127.0.0.1 %2 4646\r\n").arg(client).arg(port).toLatin1();
}

// Streams `path` on each of `clients` (opened by `open(i, client)`) until stopped, counting body bytes per
// client; joins them on every way out, a failed check included.
class Streams {
public:
    Streams(int count, std::function<bool(int, TestClient &)> open, std::string path)
    {
        m_received = std::vector<std::atomic<uint64_t>>(count);
        for (int i = 0; i < count; ++i)
            m_threads.emplace_back([this, i, open, path, count] {
                TestClient client(20000);
                if (!open(i, client))
                    return;
                ++m_opened;
                while (m_opened.load() < count && !m_stop.load()) // every client connected before any body
                    std::this_thread::yield();
                client.get(path, 0, proto::ToEnd, [this, i](const char *, size_t n) {
                    m_received[i] += n;
                    return !m_stop.load();
                });
            });
    }
    ~Streams() { finish(); }
    void finish()
    {
        m_stop = true;
        for (std::thread &t : m_threads)
            if (t.joinable())
                t.join();
    }
    int opened() const { return m_opened.load(); }
    uint64_t received(int i) const { return m_received[size_t(i)].load(); }
    uint64_t total() const
    {
        uint64_t sum = 0;
        for (const auto &r : m_received)
            sum += r.load();
        return sum;
    }

private:
    std::vector<std::atomic<uint64_t>> m_received;
    std::vector<std::thread> m_threads;
    std::atomic<int> m_opened{0};
    std::atomic<bool> m_stop{false};
};

// The audit log's lines as JSON objects.
QList<QJsonObject> auditLines(const ServerProcess &server)
{
    QList<QJsonObject> lines;
    QFile file(server.stateDir() + "/audit.log");
    if (!file.open(QIODevice::ReadOnly))
        return lines;
    for (const QByteArray &line : file.readAll().split('\n'))
        if (!line.isEmpty())
            lines << QJsonDocument::fromJson(line).object();
    return lines;
}

bool audited(const ServerProcess &server, const QString &peerPrefix, const QString &path, const QString &result)
{
    for (const QJsonObject &line : auditLines(server))
        if (line.value("request").toString() == "GET" && line.value("peer").toString().startsWith(peerPrefix)
            && line.value("path").toString() == path && line.value("result").toString() == result)
            return true;
    return false;
}

// Milliseconds one GET of `length` bytes of big.bin takes from `source`, or -1 if it failed.
qint64 timedGet(const ServerProcess &server, const QString &source, uint64_t length)
{
    TestClient client(20000);
    if (!openFrom(client, server, source).ok())
        return -1;
    QElapsedTimer clock;
    clock.start();
    return client.get("big.bin", 0, length, [](const char *, size_t) { return true; }).status.ok() ? clock.elapsed()
                                                                                                    : -1;
}

} // namespace

class TestServerIpLimits : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void rateHoldsAcrossEightConnectionsOfOneAddress();
    void addressesAreLimitedIndependently();
    void byteQuotaRefusesTheGetThatWouldExceedIt();
    void reloadAndCtlChangeTheLimits();
    void proxyHeaderAddressIsTheOneLimited();
    void badValuesAreOneSentence_data();
    void badValuesAreOneSentence();

private:
    std::unique_ptr<TestTree> m_tree;
};

void TestServerIpLimits::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    m_tree = std::make_unique<TestTree>();
    QVERIFY(m_tree->isValid());
    QVERIFY(!m_tree->addFile("a.bin", 4096, 7).isEmpty());
    QVERIFY(!m_tree->addFile("big.bin", 64 << 20, 9).isEmpty());
}

// --rate-per-ip 2M, 8 connections from 127.0.0.2, each body in a worker of its own: together they get
// 2 MiB/s within 10 %, measured over 3 s after the first second (as the per-token test measures).
void TestServerIpLimits::rateHoldsAcrossEightConnectionsOfOneAddress()
{
    ServerProcess server(m_tree->root(), {"--workers", "8", "--rate-per-ip", "2M"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    constexpr int Connections = 8;
    Streams streams(
        Connections, [&](int, TestClient &c) { return openFrom(c, server, "127.0.0.2").ok(); }, "big.bin");
    QElapsedTimer clock;
    clock.start();
    QTRY_VERIFY_WITH_TIMEOUT(streams.opened() == Connections && streams.total() > 0, 10000);
    QCOMPARE(server.workerPids().size(), Connections);
    const qint64 firstMs = clock.elapsed() + 1000;
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() >= firstMs, 5000);
    const uint64_t atStart = streams.total();
    const qint64 startMs = clock.elapsed();
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() >= startMs + 3000, 10000);
    const double rate = double(streams.total() - atStart) / (double(clock.elapsed() - startMs) / 1000.0);
    streams.finish();
    QVERIFY2(rate > 2 * MiB * 0.9 && rate < 2 * MiB * 1.1,
             qPrintable(QStringLiteral("%1 bytes/s").arg(rate, 0, 'f', 0)));
    QCOMPARE(server.stop(), 0);
}

// --rate-per-ip 1M, two connections from 127.0.0.2 and two from 127.0.0.3 at once: each address gets its
// own 1 MiB/s within 10 % (one address's limit takes nothing from the other's).
void TestServerIpLimits::addressesAreLimitedIndependently()
{
    ServerProcess server(m_tree->root(), {"--workers", "4", "--rate-per-ip", "1M"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString sources[] = {"127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"};
    Streams streams(
        4, [&](int i, TestClient &c) { return openFrom(c, server, sources[i]).ok(); }, "big.bin");
    QElapsedTimer clock;
    clock.start();
    QTRY_VERIFY_WITH_TIMEOUT(streams.opened() == 4 && streams.total() > 0, 10000);
    const qint64 firstMs = clock.elapsed() + 1000;
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() >= firstMs, 5000);
    const uint64_t second0 = streams.received(0) + streams.received(1);
    const uint64_t third0 = streams.received(2) + streams.received(3);
    const qint64 startMs = clock.elapsed();
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() >= startMs + 3000, 10000);
    const double seconds = double(clock.elapsed() - startMs) / 1000.0;
    const double second = double(streams.received(0) + streams.received(1) - second0) / seconds;
    const double third = double(streams.received(2) + streams.received(3) - third0) / seconds;
    streams.finish();
    const QString rates =
        QStringLiteral("127.0.0.2: %1, 127.0.0.3: %2 bytes/s").arg(second, 0, 'f', 0).arg(third, 0, 'f', 0);
    QVERIFY2(second > MiB * 0.9 && second < MiB * 1.1, qPrintable(rates));
    QVERIFY2(third > MiB * 0.9 && third < MiB * 1.1, qPrintable(rates));
    QCOMPARE(server.stop(), 0);
}

// --max-bytes-per-ip 10000: two GETs of 4096 bytes fit, a third would need 12288 and is refused before its
// first byte (QUOTA_EXCEEDED in version 2, FORBIDDEN, which version 1 knows, in version 1), on any
// connection of that address; 1808 bytes still fit exactly; another address has its own quota; the audit
// log records the refusal.
void TestServerIpLimits::byteQuotaRefusesTheGetThatWouldExceedIt()
{
    ServerProcess server(m_tree->root(), {"--workers", "2", "--max-bytes-per-ip", "10000"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient first, second, other;
    QVERIFY(openFrom(first, server, "127.0.0.2", 2).ok());
    QVERIFY(openFrom(second, server, "127.0.0.2", 1).ok());
    QVERIFY(first.get("a.bin").status.ok());
    QVERIFY(second.get("a.bin").status.ok());
    const GetResult over = first.get("a.bin");
    QVERIFY2(over.status.is(ErrorCode::QuotaExceeded), qPrintable(over.status.toString()));
    QVERIFY(!over.body); // refused before any byte
    QVERIFY2(over.status.message.find("10000") != std::string::npos, over.status.message.c_str());
    const GetResult overV1 = second.get("a.bin");
    QVERIFY2(overV1.status.is(ErrorCode::Forbidden), qPrintable(overV1.status.toString()));
    QVERIFY(first.get("a.bin", 0, 10000 - 2 * 4096).status.ok()); // the rest, exactly
    QVERIFY(first.get("a.bin", 0, 1).status.is(ErrorCode::QuotaExceeded));
    QVERIFY(first.stat("a.bin").ok()); // only bytes are counted
    QVERIFY(openFrom(other, server, "127.0.0.3").ok());
    QVERIFY(other.get("a.bin").status.ok());
    QTRY_VERIFY(audited(server, "127.0.0.2:", "a.bin", "QUOTA_EXCEEDED"));
    QTRY_VERIFY(audited(server, "127.0.0.2:", "a.bin", "FORBIDDEN"));
    QCOMPARE(server.stop(), 0);
}

// The limits in the config file, changed and reloaded (SIGHUP), take effect for the next GET; ferry-ctl
// rate-limit --per-ip sets the rate live: a 1.5 MiB GET then takes at least 1.3 s at 1 MiB/s.
void TestServerIpLimits::reloadAndCtlChangeTheLimits()
{
    QTemporaryDir dir;
    const QString config = dir.filePath("ferry.conf");
    auto writeConfig = [&](const QByteArray &text) {
        QFile file(config);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(text) > 0;
    };
    QVERIFY(writeConfig("max-bytes-per-ip = 5000\nquota-window = 1h\n"));
    ServerProcess server(m_tree->root(), {"--workers", "2", "--config", config});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto getSmall = [&] {
        TestClient client(5000);
        return openFrom(client, server, "127.0.0.4").ok() ? client.get("a.bin").status : Status::of(Outcome::Failed);
    };
    QVERIFY(getSmall().ok());
    QVERIFY(getSmall().is(ErrorCode::Forbidden));
    QVERIFY(writeConfig("max-bytes-per-ip = 50M\nquota-window = 1h\n"));
    QVERIFY(server.signal(SIGHUP));
    const Status reloaded = pollUntil(getSmall, [](const Status &st) { return st.ok(); }, 10000);
    QVERIFY2(reloaded.ok(), qPrintable(reloaded.toString()));
    const uint64_t length = 3 << 19; // 1.5 MiB
    const qint64 unlimited = timedGet(server, "127.0.0.5", length);
    QVERIFY2(unlimited >= 0 && unlimited < 1000, qPrintable(QString::number(unlimited)));
    const ServerProcess::RunResult set = ctl(server, {"rate-limit", "--per-ip", "1M"});
    QCOMPARE(set.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(set.out).object().value("rate_limit").toObject().value("per_ip").toInteger(),
             qint64(1) << 20);
    const QByteArray status = ctl(server, {"status"}).out;
    QVERIFY2(status.contains("1.0 MiB/s per client address"), status.constData());
    const qint64 limited = timedGet(server, "127.0.0.5", length);
    QVERIFY2(limited >= 1300, qPrintable(QString::number(limited)));
    QCOMPARE(server.stop(), 0);
}

// Behind a trusted balancer (--proxy-protocol) the quota counts the client the header names: two clients
// behind the one balancer address have a quota each, and a client's second connection shares its first's.
void TestServerIpLimits::proxyHeaderAddressIsTheOneLimited()
{
    ServerProcess server(m_tree->root(), {"--workers", "2", "--proxy-protocol", "--trusted-proxies", "127.0.0.1",
                                          "--max-bytes-per-ip", "5000"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient a1, a2, b;
    QVERIFY(openFrom(a1, server, "127.0.0.1", 1, proxyHeader("203.0.113.10", 40001)).ok());
    QVERIFY(openFrom(a2, server, "127.0.0.1", 1, proxyHeader("203.0.113.10", 40002)).ok());
    QVERIFY(openFrom(b, server, "127.0.0.1", 1, proxyHeader("198.51.100.20", 40003)).ok());
    QVERIFY(a1.get("a.bin").status.ok());
    const GetResult over = a2.get("a.bin");
    QVERIFY2(over.status.is(ErrorCode::Forbidden), qPrintable(over.status.toString()));
    QVERIFY(b.get("a.bin").status.ok());
    QTRY_VERIFY(audited(server, "203.0.113.10:", "a.bin", "FORBIDDEN"));
    QCOMPARE(server.stop(), 0);
}

void TestServerIpLimits::badValuesAreOneSentence_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    QTest::newRow("rate") << QStringList{"--rate-per-ip", "fast"} << "invalid value 'fast' for rate-per-ip";
    QTest::newRow("bytes") << QStringList{"--max-bytes-per-ip", "lots"} << "invalid value 'lots' for max-bytes-per-ip";
    QTest::newRow("too many bytes") << QStringList{"--max-bytes-per-ip", "300000G"} << "at most 256 TiB";
    QTest::newRow("window") << QStringList{"--quota-window", "10s"} << "at least 1m";
}

void TestServerIpLimits::badValuesAreOneSentence()
{
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    const ServerProcess::RunResult result =
        ServerProcess::run(QStringList{"--root", m_tree->root(), "--plaintext", "only"} + args);
    QCOMPARE(result.exitCode, 2);
    const QList<QByteArray> lines = result.err.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines.front().contains(expected.toUtf8()), lines.front());
}

QTEST_GUILESS_MAIN(TestServerIpLimits)
#include "tst_server_iplimits.moc"
