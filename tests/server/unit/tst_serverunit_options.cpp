// Durations, command line and config file parsing of ferry-server.
#include "base/duration.h"
#include "config/options.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace ferry::server;

namespace {
Options load(std::vector<const char *> args)
{
    args.insert(args.begin(), "ferry-server");
    return loadOptions(int(args.size()), args.data());
}
} // namespace

class TestOptions : public QObject {
    Q_OBJECT
private slots:
    void duration_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms"); // -1: invalid
        QTest::newRow("plain seconds") << "10" << qint64(10000);
        QTest::newRow("seconds suffix") << "10s" << qint64(10000);
        QTest::newRow("fraction") << "0.5" << qint64(500);
        QTest::newRow("milliseconds") << "300ms" << qint64(300);
        QTest::newRow("minutes") << "2m" << qint64(120000);
        QTest::newRow("fraction minutes") << "1.5m" << qint64(90000);
        QTest::newRow("zero") << "0" << qint64(0);
        QTest::newRow("leading dot") << ".25s" << qint64(250);
        QTest::newRow("empty") << "" << qint64(-1);
        QTest::newRow("unit only") << "ms" << qint64(-1);
        QTest::newRow("negative") << "-1" << qint64(-1);
        QTest::newRow("garbage") << "10x" << qint64(-1);
        QTest::newRow("hours") << "24h" << qint64(86400000);
        QTest::newRow("days") << "1.5d" << qint64(129600000);
        QTest::newRow("weeks unsupported") << "1w" << qint64(-1);
        QTest::newRow("space") << "1 s" << qint64(-1);
        QTest::newRow("nan") << "nan" << qint64(-1);
        QTest::newRow("absurd") << "1e20" << qint64(-1);
    }
    void duration()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        auto parsed = parseDuration(text.toStdString());
        QCOMPARE(parsed.has_value(), ms >= 0);
        if (parsed)
            QCOMPARE(qint64(parsed->count()), ms);
    }

    void byteCount_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("bytes"); // -1: invalid
        QTest::newRow("plain") << "1048576" << qint64(1048576);
        QTest::newRow("zero") << "0" << qint64(0);
        QTest::newRow("kibi") << "512k" << qint64(512 * 1024);
        QTest::newRow("kibi upper") << "512K" << qint64(512 * 1024);
        QTest::newRow("mebi") << "2M" << qint64(2 * 1024 * 1024);
        QTest::newRow("gibi") << "1G" << qint64(1024LL * 1024 * 1024);
        QTest::newRow("empty") << "" << qint64(-1);
        QTest::newRow("suffix only") << "M" << qint64(-1);
        QTest::newRow("negative") << "-1k" << qint64(-1);
        QTest::newRow("fraction") << "1.5M" << qint64(-1);
        QTest::newRow("unknown suffix") << "3T" << qint64(-1);
        QTest::newRow("overflow") << "17179869184G" << qint64(-1);
    }
    void byteCount()
    {
        QFETCH(QString, text);
        QFETCH(qint64, bytes);
        auto parsed = parseByteCount(text.toStdString());
        QCOMPARE(parsed.has_value(), bytes >= 0);
        if (parsed)
            QCOMPARE(qint64(*parsed), bytes);
    }

    void defaults()
    {
        Options o = load({"--root", "/srv"});
        QCOMPARE(QString::fromStdString(o.listen), QStringLiteral("0.0.0.0:4646"));
        QCOMPARE(o.workers, 4u);
        QCOMPARE(o.requestTimeout.count(), 10000);
        QCOMPARE(o.idleTimeout.count(), 60000);
        QCOMPARE(o.sendTimeout.count(), 60000);
        QCOMPARE(o.grace.count(), 30000);
        QCOMPARE(o.rateLimit, uint64_t(0));
        QVERIFY(!o.showHidden);
        QVERIFY(o.plaintext == PlaintextPolicy::Refuse); // TLS required unless told otherwise
        QVERIFY(o.stateDir.empty() && o.tlsCert.empty() && o.tlsKey.empty());
    }

    void tlsOptions()
    {
        Options o = load({"--root", "/srv", "--plaintext", "allow", "--state-dir", "/var/lib/x", "--tls-cert", "c.pem",
                          "--tls-key", "k.pem"});
        QVERIFY(o.plaintext == PlaintextPolicy::Allow);
        QCOMPARE(QString::fromStdString(o.stateDir), QStringLiteral("/var/lib/x"));
        QCOMPARE(QString::fromStdString(o.tlsCert), QStringLiteral("c.pem"));
        QVERIFY(load({"--root", "/srv", "--plaintext=only"}).plaintext == PlaintextPolicy::Only);
        QVERIFY(load({"--root", "/srv", "--plaintext", "off"}).plaintext == PlaintextPolicy::Refuse);
    }

    void commandLine()
    {
        Options o = load({"--root", "/srv", "--listen=127.0.0.1:0", "--workers", "8", "--idle-timeout", "300ms",
                          "--show-hidden", "--rate-limit", "2M", "--log-level", "debug", "--max-per-ip", "0"});
        QCOMPARE(QString::fromStdString(o.listen), QStringLiteral("127.0.0.1:0"));
        QCOMPARE(o.workers, 8u);
        QCOMPARE(o.idleTimeout.count(), 300);
        QVERIFY(o.showHidden);
        QCOMPARE(o.rateLimit, uint64_t(2 * 1024 * 1024));
        QCOMPARE(o.maxPerIp, 0u);
        QVERIFY(o.logLevel == log::Level::Debug);
    }

    void badCommandLine_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("unknown option") << QStringList{"--root", "/srv", "--frobnicate"};
        QTest::newRow("missing value") << QStringList{"--root", "/srv", "--workers"};
        QTest::newRow("zero workers") << QStringList{"--root", "/srv", "--workers", "0"};
        QTest::newRow("bad duration") << QStringList{"--root", "/srv", "--grace", "soon"};
        QTest::newRow("bad level") << QStringList{"--root", "/srv", "--log-level", "loud"};
        QTest::newRow("no root") << QStringList{"--workers", "2"};
        QTest::newRow("stray argument") << QStringList{"--root", "/srv", "extra"};
        QTest::newRow("missing config") << QStringList{"--root", "/srv", "--config", "/nonexistent/ferry.conf"};
        QTest::newRow("bad plaintext") << QStringList{"--root", "/srv", "--plaintext", "sometimes"};
        QTest::newRow("cert without key") << QStringList{"--root", "/srv", "--tls-cert", "c.pem"};
        QTest::newRow("key without cert") << QStringList{"--root", "/srv", "--tls-key", "k.pem"};
        // getaddrinfo() would take 70000 as port 4464: the server must refuse it, not listen there.
        QTest::newRow("listen port too big") << QStringList{"--root", "/srv", "--listen", "127.0.0.1:70000"};
        QTest::newRow("listen port not a number") << QStringList{"--root", "/srv", "--listen", "127.0.0.1:http"};
        QTest::newRow("listen without port") << QStringList{"--root", "/srv", "--listen", "127.0.0.1"};
        QTest::newRow("metrics port too big") << QStringList{"--root", "/srv", "--metrics-listen", "127.0.0.1:99999"};
        // Pool limits that contradict each other: the pool would run with other numbers than these.
        QTest::newRow("min spare above max spare")
            << QStringList{"--root", "/srv", "--min-spare", "3", "--max-spare", "2"};
        QTest::newRow("min spare above the pool's size")
            << QStringList{"--root", "/srv", "--workers", "2", "--min-spare", "3"};
        QTest::newRow("min spare above pool max workers")
            << QStringList{"--root", "/srv", "--workers", "2", "--pool-max-workers", "4", "--min-spare", "5"};
    }
    void badCommandLine()
    {
        QFETCH(QStringList, args);
        std::vector<std::string> storage;
        for (const QString &a : args)
            storage.push_back(a.toStdString());
        std::vector<const char *> argv;
        for (const std::string &s : storage)
            argv.push_back(s.c_str());
        QVERIFY_THROWS_EXCEPTION(ConfigError, load(argv));
    }

    // The pool may grow to --pool-max-workers, so that many idle workers can be kept.
    void minSpareUpToThePoolsSizeIsAccepted()
    {
        Options o = load({"--root", "/srv", "--workers", "2", "--pool-max-workers", "4", "--min-spare", "4"});
        QCOMPARE(o.minSpare, 4u);
        QVERIFY_THROWS_EXCEPTION(ConfigError, load({"--root", "/srv", "--workers", "2", "--pool-max-workers", "4",
                                                    "--min-spare", "4", "--max-spare", "3"}));
    }

    void configFileAndOverride()
    {
        QTemporaryDir dir;
        QString path = dir.filePath("ferry.conf");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("# comment\n\nroot = /from/config\nworkers = 6\nrequest-timeout = 2.5s\n"
                   "show-hidden = yes\nlisten = \"127.0.0.1:9999\"\n");
        file.close();
        std::string p = path.toStdString();
        Options o = load({"--config", p.c_str(), "--workers", "3"});
        QCOMPARE(QString::fromStdString(o.root), QStringLiteral("/from/config"));
        QCOMPARE(o.workers, 3u); // the command line wins
        QCOMPARE(o.requestTimeout.count(), 2500);
        QVERIFY(o.showHidden);
        QCOMPARE(QString::fromStdString(o.listen), QStringLiteral("127.0.0.1:9999"));
    }

    void trustedProxiesFromTheConfigFile()
    {
        QTemporaryDir dir;
        QString path = dir.filePath("ferry.conf");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("root = /a\nproxy-protocol = true\ntrusted-proxies = 10.0.0.5,192.168.0.0/16,2001:db8::/32\n");
        file.close();
        std::string p = path.toStdString();
        Options o = load({"--config", p.c_str()});
        QVERIFY(o.proxyProtocol);
        QCOMPARE(o.trustedProxies.size(), size_t(3));
        QCOMPARE(QString::fromStdString(formatCidr(o.trustedProxies[0])), QStringLiteral("10.0.0.5/32"));
        QCOMPARE(QString::fromStdString(formatCidr(o.trustedProxies[1])), QStringLiteral("192.168.0.0/16"));
        QCOMPARE(QString::fromStdString(formatCidr(o.trustedProxies[2])), QStringLiteral("2001:db8::/32"));
    }

    void cidrContainsAddress_data()
    {
        QTest::addColumn<QString>("range");
        QTest::addColumn<QString>("address");
        QTest::addColumn<bool>("contained");
        QTest::newRow("exact v4") << "10.0.0.5" << "10.0.0.5" << true;
        QTest::newRow("next v4") << "10.0.0.5" << "10.0.0.6" << false;
        QTest::newRow("/8 inside") << "10.0.0.0/8" << "10.255.1.2" << true;
        QTest::newRow("/8 outside") << "10.0.0.0/8" << "11.0.0.1" << false;
        QTest::newRow("/12 inside, partial byte") << "172.16.0.0/12" << "172.31.255.255" << true;
        QTest::newRow("/12 outside, partial byte") << "172.16.0.0/12" << "172.32.0.0" << false;
        QTest::newRow("/0 takes all v4") << "0.0.0.0/0" << "203.0.113.1" << true;
        QTest::newRow("v4-mapped v6 peer") << "127.0.0.0/8" << "::ffff:127.0.0.2" << true;
        QTest::newRow("v6 /32") << "2001:db8::/32" << "2001:db8:ffff::1" << true;
        QTest::newRow("v6 /32 outside") << "2001:db8::/32" << "2001:db9::1" << false;
        QTest::newRow("v4 range, v6 peer") << "0.0.0.0/0" << "::1" << false;
    }
    void cidrContainsAddress()
    {
        QFETCH(QString, range);
        QFETCH(QString, address);
        QFETCH(bool, contained);
        auto parsed = parseCidr(range.toStdString());
        QVERIFY(parsed);
        sockaddr_storage storage{};
        if (address.contains(':')) {
            auto &in6 = reinterpret_cast<sockaddr_in6 &>(storage);
            in6.sin6_family = AF_INET6;
            QVERIFY(inet_pton(AF_INET6, address.toLatin1().constData(), &in6.sin6_addr) == 1);
        } else {
            auto &in = reinterpret_cast<sockaddr_in &>(storage);
            in.sin_family = AF_INET;
            QVERIFY(inet_pton(AF_INET, address.toLatin1().constData(), &in.sin_addr) == 1);
        }
        QCOMPARE(ferry::server::cidrContains(*parsed, storage), contained);
    }

    void badCidr_data()
    {
        QTest::addColumn<QString>("text");
        for (const char *text :
             {"", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8x", "10.0.0", "host.example", "10.0.0.0/-1"})
            QTest::newRow(text) << QString::fromLatin1(text);
    }
    void badCidr() { QVERIFY(!parseCidr(QTest::currentDataTag())); }

    void badConfig_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown key") << "root = /a\ncolour = blue\n" << ":2:";
        QTest::newRow("no equals") << "root /a\n" << ":1:";
        QTest::newRow("bad value") << "root = /a\n\nworkers = many\n" << ":3:";
        QTest::newRow("nested config") << "config = /etc/other\n" << ":1:";
    }
    void badConfig()
    {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        try {
            parseConfigText(text.toStdString(), "ferry.conf");
            QFAIL("no error");
        } catch (const ConfigError &error) {
            QVERIFY2(QString(error.what()).contains(mentions), error.what());
        }
    }

    void usageMentionsEveryOption()
    {
        QString usage = QString::fromStdString(usageText());
        for (const char *option : {"--root", "--listen", "--workers", "--config", "--admin-socket", "--user",
                                   "--max-pending", "--max-per-ip", "--request-timeout", "--idle-timeout",
                                   "--send-timeout", "--grace", "--rate-limit", "--show-hidden", "--log-level",
                                   "--state-dir", "--tls-cert", "--tls-key", "--plaintext", "--rate-per-ip",
                                   "--max-bytes-per-ip", "--quota-window"})
            QVERIFY2(usage.contains(option), option);
    }
};

QTEST_GUILESS_MAIN(TestOptions)
#include "tst_serverunit_options.moc"
