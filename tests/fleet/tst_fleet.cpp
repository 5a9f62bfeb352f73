// A fleet on loopback: a real HAProxy (deploy/haproxy/ferry.cfg's backend) in front of three real
// ferry-servers serving one shared root, as a read-only NFS export would be. HAProxy connects to them from
// 127.0.0.100, their only trusted proxy; the test's clients bind 127.0.0.2 ... 127.0.0.7, so each address
// a scoreboard shows is either a client's own or HAProxy's, and only the first may appear.
#include "adminrequest.h"
#include "haproxyprocess.h"
#include "parallel.h"
#include "polling.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include <atomic>
#include <chrono>
#include <thread>

using namespace ferrytest;

namespace {

constexpr char ProxyAddress[] = "127.0.0.100";
constexpr int Clients = 30;
constexpr int Files = 6;
constexpr uint64_t FileSize = 6 << 20;

QString clientAddress(int i) { return QStringLiteral("127.0.0.%1").arg(2 + i % 6); }
std::string fileName(int i) { return "file" + std::to_string(i % Files) + ".bin"; }

// One client's download through the balancer, resumed from where it broke as ferry-get would: a new
// connection (HAProxy picks a live server) and GET from the bytes it has, accepted only if the BODY names
// the same size and mtime as the first one. No QTest macros: this runs in a thread.
struct Download {
    QString source;
    std::string path;
    QByteArray sha256;
    int attempts = 0;
    std::string error;
};

void download(Download &d, quint16 port)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    uint64_t have = 0;
    std::optional<proto::Body> first;
    for (d.attempts = 1; d.attempts <= 20; ++d.attempts) {
        TestClient client(15000);
        client.setSourceAddress(d.source);
        const Status opened = client.open(QStringLiteral("127.0.0.1"), port);
        GetResult got;
        if (opened.ok())
            got = client.get(d.path, have, proto::ToEnd, [&](const char *data, size_t size) {
                hash.addData(QByteArrayView(data, qsizetype(size)));
                have += size;
                return true;
            });
        if (opened.ok() && got.body) {
            if (!first)
                first = got.body;
            if (got.body->fileSize != first->fileSize || got.body->mtimeNs != first->mtimeNs) {
                d.error = "the file changed between servers";
                return;
            }
        }
        if (opened.ok() && got.status.ok()) {
            d.sha256 = hash.result().toHex();
            return;
        }
        d.error = (opened.ok() ? got.status : opened).toString().toStdString();
        std::this_thread::sleep_for(std::chrono::milliseconds(200)); // a retry's pause, as clients take
    }
}

// The client hosts of the GET lines in the audit log at `path` (the health checks' lines are HAProxy's own:
// a PROXY v2 LOCAL connection is the balancer itself).
QSet<QString> auditedGetHosts(const QString &path)
{
    QSet<QString> hosts;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return hosts;
    while (!file.atEnd()) {
        const QJsonObject line = QJsonDocument::fromJson(file.readLine()).object();
        if (line.value("request").toString() == QLatin1String("GET"))
            hosts << line.value("peer").toString().section(u':', 0, 0);
    }
    return hosts;
}

// The client hosts the scoreboards of `servers` show right now.
QSet<QString> peerHosts(const std::vector<std::unique_ptr<ServerProcess>> &servers, int only = -1)
{
    QSet<QString> hosts;
    for (int s = 0; s < int(servers.size()); ++s) {
        if ((only >= 0 && s != only) || !servers[size_t(s)]->isRunning())
            continue;
        const QJsonArray workers = adminStatus(servers[size_t(s)]->adminSocketPath()).value("workers").toArray();
        for (const QJsonValue &worker : workers)
            if (const QString peer = worker.toObject().value("peer").toString(); !peer.isEmpty())
                hosts << peer.left(peer.lastIndexOf(':'));
    }
    return hosts;
}

} // namespace

class TestFleet : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void concurrentDownloadsAreByteIdenticalAndShowTheClients();
    void everyDownloadCompletesWhenAServerIsKilled();
    void ferryGetOverTlsResumesThroughTheBalancer();
    void drainingServerFailsItsCheckAndFinishesItsTransfers();
    void directConnectionsAreTheirOwnAddress();

private:
    void startDownloads(std::vector<Download> &downloads, std::thread &runner);
    bool verify(const std::vector<Download> &downloads, QString *why) const;

    std::unique_ptr<TestTree> m_tree;
    QByteArray m_sha[Files];
    std::vector<std::unique_ptr<ServerProcess>> m_servers;
    std::unique_ptr<HaproxyProcess> m_haproxy;
};

void TestFleet::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built in this tree");
    if (!QFile::exists(HaproxyProcess::program()))
        QSKIP("haproxy is not installed (scripts/bootstrap installs it)");
}

void TestFleet::init()
{
    m_tree = std::make_unique<TestTree>();
    for (int i = 0; i < Files; ++i) {
        const QString path = m_tree->addFile(QString::fromStdString(fileName(i)), FileSize, quint32(10 + i));
        QVERIFY(!path.isEmpty());
        m_sha[i] = fileSha256(path);
    }
    // One identity for the fleet (docs/SCALING.md): the first server makes it, the others are given it.
    const QString state = m_tree->base() + "/state";
    for (int s = 0; s < 3; ++s) {
        // 2 MiB/s per connection: a 6 MiB download lasts 3 s, long enough to be seen and interrupted.
        m_servers.push_back(std::make_unique<ServerProcess>(
            m_tree->root(), QStringList{"--workers", "12", "--proxy-protocol", "--trusted-proxies", ProxyAddress,
                                        "--rate-limit", "2M", "--max-per-ip", "0", "--state-dir", state,
                                        "--log-level", "debug"}));
        QVERIFY2(m_servers.back()->start(), qPrintable(m_servers.back()->diagnostics()));
    }
    QCOMPARE(m_servers[1]->fingerprint(), m_servers[0]->fingerprint());
    m_haproxy = std::make_unique<HaproxyProcess>(
        QList<quint16>{m_servers[0]->port(), m_servers[1]->port(), m_servers[2]->port()}, ProxyAddress);
    QVERIFY2(m_haproxy->start(), qPrintable(m_haproxy->errorString()));
}

void TestFleet::cleanup()
{
    m_haproxy.reset();
    m_servers.clear();
    m_tree.reset();
}

void TestFleet::startDownloads(std::vector<Download> &downloads, std::thread &runner)
{
    downloads.resize(Clients);
    for (int i = 0; i < Clients; ++i) {
        downloads[size_t(i)].source = clientAddress(i);
        downloads[size_t(i)].path = fileName(i);
    }
    const quint16 port = m_haproxy->port();
    runner = std::thread([&downloads, port] {
        runInThreads(Clients, Clients, [&](int i) { download(downloads[size_t(i)], port); });
    });
}

bool TestFleet::verify(const std::vector<Download> &downloads, QString *why) const
{
    for (int i = 0; i < int(downloads.size()); ++i) {
        const Download &d = downloads[size_t(i)];
        if (d.sha256 != m_sha[i % Files]) {
            *why = QStringLiteral("download %1 of %2 from %3: %4 after %5 attempts")
                       .arg(i).arg(QString::fromStdString(d.path), d.source, QString::fromStdString(d.error))
                       .arg(d.attempts);
            return false;
        }
    }
    return true;
}

void TestFleet::concurrentDownloadsAreByteIdenticalAndShowTheClients()
{
    std::vector<Download> downloads;
    std::thread runner;
    startDownloads(downloads, runner);
    // While they run, the three scoreboards together show every client address, and never HAProxy's.
    QSet<QString> expected;
    for (int i = 0; i < 6; ++i)
        expected << clientAddress(i);
    QSet<QString> seen;
    bool sawProxy = false;
    pollUntil([&] {
        const QSet<QString> now = peerHosts(m_servers);
        seen |= now;
        sawProxy = sawProxy || now.contains(ProxyAddress);
        return seen;
    }, [&](const QSet<QString> &all) { return all.contains(expected); }, 15000);
    runner.join();
    QVERIFY2(seen.contains(expected), qPrintable(QStringList(seen.values()).join(' ')));
    QVERIFY(!sawProxy);
    QCOMPARE(seen, expected);
    QString why;
    QVERIFY2(verify(downloads, &why), qPrintable(why));
    // The audit log (the fleet's servers share one state directory, so one file) names the clients too.
    const QSet<QString> audited = auditedGetHosts(m_tree->base() + "/state/audit.log");
    QCOMPARE(audited, expected);
    // leastconn spread them: every server served some.
    for (const auto &server : m_servers)
        QVERIFY2(server->stderrText().contains("(PROXY v2)"), "a server of the fleet got no client");
}

void TestFleet::everyDownloadCompletesWhenAServerIsKilled()
{
    std::vector<Download> downloads;
    std::thread runner;
    startDownloads(downloads, runner);
    // Kill the second server once it is in the middle of transfers.
    const QSet<QString> busy = pollUntil([&] { return peerHosts(m_servers, 1); },
                                         [](const QSet<QString> &hosts) { return !hosts.isEmpty(); }, 15000);
    m_servers[1]->kill();
    runner.join();
    QVERIFY2(!busy.isEmpty(), "the second server never served a transfer");
    QString why;
    QVERIFY2(verify(downloads, &why), qPrintable(why));
    int resumed = 0;
    for (const Download &d : downloads)
        resumed += d.attempts > 1 ? 1 : 0;
    QVERIFY2(resumed > 0, "no download was interrupted by the kill");
}

void TestFleet::ferryGetOverTlsResumesThroughTheBalancer()
{
    // The real client, over TLS that HAProxy passes through untouched: it pins the fleet's identity
    // (one for all three), loses its server to a kill, reconnects through the balancer and resumes.
#ifndef GET_BIN
    QSKIP("ferry-get is not built in this tree");
#else
    const QString big = m_tree->addFile(QStringLiteral("big.bin"), 16 << 20, 99);
    QVERIFY(!big.isEmpty());
    QTemporaryDir out;
    const QString url = QStringLiteral("ferry://127.0.0.1:%1/big.bin?fp=%2").arg(m_haproxy->port())
                            .arg(m_servers[0]->fingerprint());
    QProcess get;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove("FERRY_PLAINTEXT");
    environment.insert("HOME", out.path());
    environment.insert("XDG_CONFIG_HOME", out.path() + "/config");
    get.setProcessEnvironment(environment);
    get.setProcessChannelMode(QProcess::MergedChannels);
    get.start(GET_BIN, {"--no-progress", "-o", out.path(), url});
    QVERIFY(get.waitForStarted());
    // The server serving it shows the client's own 127.0.0.1, not HAProxy's 127.0.0.100.
    int serving = -1;
    pollUntil([&] {
        for (int s = 0; s < 3 && serving < 0; ++s)
            if (peerHosts(m_servers, s).contains("127.0.0.1"))
                serving = s;
        return serving;
    }, [](int s) { return s >= 0; }, 15000);
    QVERIFY2(serving >= 0, "no scoreboard showed ferry-get's own address");
    m_servers[size_t(serving)]->kill();
    QVERIFY(get.waitForFinished(60000));
    QCOMPARE(get.exitCode(), 0);
    QString why;
    QVERIFY2(sameContent(big, out.filePath("big.bin"), &why), qPrintable(why + get.readAll()));
#endif
}

void TestFleet::drainingServerFailsItsCheckAndFinishesItsTransfers()
{
    // A transfer on the first server, then a drain: HAProxy's check gets BUSY instead of WELCOME and
    // marks it down, new clients all go elsewhere (none is answered BUSY), and the transfer finishes.
    std::vector<Download> running(1);
    running[0] = Download{clientAddress(0), fileName(0), {}, 0, {}};
    std::thread first([&] { download(running[0], m_haproxy->port()); });
    const int drained = pollUntil([&] {
        for (int s = 0; s < 3; ++s)
            if (peerHosts(m_servers, s).contains(running[0].source))
                return s;
        return -1;
    }, [](int s) { return s >= 0; }, 10000);
    if (drained < 0)
        first.join();
    QVERIFY2(drained >= 0, "no scoreboard showed the first download");
    QCOMPARE(adminCall(m_servers[size_t(drained)]->adminSocketPath(), {{"cmd", "drain"}}).value("ok").toBool(), true);
    const auto down = pollUntil([&] { return m_haproxy->isUp(drained); },
                                [](std::optional<bool> up) { return up == false; }, 10000);
    QVERIFY2(down == false, "HAProxy did not mark the draining server down");
    std::vector<Download> later(12);
    for (int i = 0; i < 12; ++i)
        later[size_t(i)] = Download{QStringLiteral("127.0.0.9"), "file1.bin", {}, 0, {}};
    runInThreads(12, 12, [&](int i) { download(later[size_t(i)], m_haproxy->port()); });
    first.join();
    QCOMPARE(running[0].sha256, m_sha[0]);
    QCOMPARE(running[0].attempts, 1); // finished on the draining server, not resumed elsewhere
    for (const Download &d : later) {
        QCOMPARE(d.sha256, m_sha[1]);
        QCOMPARE(d.attempts, 1); // never BUSY: the drained server got none of them
    }
    QVERIFY(!m_servers[size_t(drained)]->stderrText().contains("is 127.0.0.9:"));
}

void TestFleet::directConnectionsAreTheirOwnAddress()
{
    // Past the balancer, straight to a server: a PROXY header from 127.0.0.50 is refused, logged with
    // 127.0.0.50; without one, 127.0.0.50 is served and logged as itself whatever its HELLO claims.
    ServerProcess &server = *m_servers[0];
    TestClient spoofer;
    spoofer.setSourceAddress("127.0.0.50");
    QVERIFY(spoofer.connectTo(server.host(), server.port()).ok());
    QVERIFY(spoofer.sendRaw("PROXY TCP4 203.0.113.9 127.0.0.1 1234 4646\r\n"));
    const Status refused = spoofer.hello();
    QVERIFY2(refused.outcome == Outcome::Closed || refused.outcome == Outcome::Reset, qPrintable(refused.toString()));
    const QByteArray refusal = "from 127.0.0.50:" + QByteArray::number(spoofer.localPort())
                               + " refused: a PROXY protocol header from an address not in --trusted-proxies";
    QTRY_VERIFY(server.stderrText().contains(refusal));
    TestClient direct;
    direct.setSourceAddress("127.0.0.50");
    QVERIFY(direct.connectTo(server.host(), server.port()).ok());
    QVERIFY(direct.hello("from 203.0.113.9").ok());
    QVERIFY(direct.get("file0.bin", 0, 1000).status.ok());
    const QByteArray accepted = "from 127.0.0.50:" + QByteArray::number(direct.localPort()) + " accepted";
    QTRY_VERIFY(server.stderrText().contains(accepted));
    QVERIFY(!server.stderrText().contains("203.0.113.9"));
}

QTEST_GUILESS_MAIN(TestFleet)
#include "tst_fleet.moc"
