// The server list of a download (shared/client/serverlist.h, ferryurl.h): URLs naming several servers,
// and RFC 2782's order of DNS SRV records, as pure functions.
#include "client/ferryurl.h"
#include "client/serverlist.h"

#include <QRandomGenerator>
#include <QTest>

using namespace ferry::client;

Q_DECLARE_METATYPE(QList<ferry::client::ServerAddress>)

namespace {

// A token's secret as ferry-ctl token create writes one (43 characters of base64url).
const QString Secret = QStringLiteral("Q2hhbmdlIHRoaXMgc2VjcmV0IGZvciBhIHJlYWwgb25l");

// A "random" source that answers from a script, and records the bounds it was asked for.
struct Script {
    QList<quint32> answers;
    QList<quint32> bounds;
    quint32 operator()(quint32 n)
    {
        bounds << n;
        return answers.isEmpty() ? 0 : answers.takeFirst();
    }
};

QStringList names(const QList<ServerAddress> &servers)
{
    QStringList out;
    for (const ServerAddress &s : servers)
        out << QStringLiteral("%1:%2").arg(s.host).arg(s.port);
    return out;
}

} // namespace

class TestClientServers : public QObject
{
    Q_OBJECT
private slots:
    void urlNamesSeveralServers_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("servers");
        QTest::addColumn<QString>("path");
        QTest::newRow("one") << "ferry://a.example/x" << QStringList{"a.example:4646"} << "x";
        QTest::newRow("two with ports") << "ferry://a:4646,b:4747/dir/f.iso" << QStringList{"a:4646", "b:4747"}
                                        << "dir/f.iso";
        QTest::newRow("default port for some") << "ferry://a,b:5000,c/f" << QStringList{"a:4646", "b:5000", "c:4646"}
                                               << "f";
        QTest::newRow("ipv6 literal") << "ferry://[::1]:4646,127.0.0.1:4646/f"
                                      << QStringList{"::1:4646", "127.0.0.1:4646"} << "f";
        QTest::newRow("no path") << "ferry://a,b" << QStringList{"a:4646", "b:4646"} << "";
    }
    void urlNamesSeveralServers()
    {
        QFETCH(QString, text);
        QFETCH(QStringList, servers);
        QFETCH(QString, path);
        QString error;
        auto url = FerryUrl::parse(text, &error);
        QVERIFY2(url, qPrintable(error));
        QCOMPARE(names(url->servers()), servers);
        QCOMPARE(url->path(), path);
        // The text form names them all again, and reads back the same.
        auto again = FerryUrl::parse(url->toString(), &error);
        QVERIFY2(again, qPrintable(error + " in " + url->toString()));
        QCOMPARE(names(again->servers()), servers);
        QCOMPARE(names(url->child("sub").servers()), servers);
    }

    void badServerList_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("empty entry") << "ferry://a,,b/f" << "empty server";
        QTest::newRow("trailing comma") << "ferry://a,/f" << "empty server";
        QTest::newRow("bad port in second") << "ferry://a:1,b:99999/f" << "port";
        // A capability link's secret stays out of the reason, whichever server of the list is wrong.
        QTest::newRow("empty entry of a capability link")
            << "ferry://a,,b/f?token=" + Secret << "empty server";
        QTest::newRow("bad port in a capability link") << "ferry://a:1,b:99999/f?token=" + Secret << "port";
    }
    void badServerList()
    {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        QString error;
        QVERIFY(!FerryUrl::parse(text, &error));
        QVERIFY2(error.contains(mentions), qPrintable(error));
        QVERIFY2(!error.contains(Secret), qPrintable(error));
    }

    void srvOnlyForABareDomain_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("wanted");
        QTest::newRow("bare domain") << "ferry://files.example.org/x" << true;
        QTest::newRow("domain with port") << "ferry://files.example.org:4646/x" << false;
        QTest::newRow("ipv4") << "ferry://192.0.2.1/x" << false;
        QTest::newRow("ipv6") << "ferry://[2001:db8::1]/x" << false;
        QTest::newRow("a list") << "ferry://a.example,b.example/x" << false;
        QTest::newRow("localhost") << "ferry://localhost/x" << false;
    }
    void srvOnlyForABareDomain()
    {
        QFETCH(QString, text);
        QFETCH(bool, wanted);
        QCOMPARE(wantsSrvLookup(*FerryUrl::parse(text)), wanted);
    }

    void srvPriorityComesFirst()
    {
        // Lower priority first whatever the weights; within a priority only the weights decide.
        Script random;
        const QList<SrvRecord> records{{"c", 3, 20, 100}, {"a", 1, 10, 0}, {"b", 2, 10, 0}, {"d", 4, 30, 5}};
        QCOMPARE(names(orderSrvRecords(records, std::ref(random))), (QStringList{"a:1", "b:2", "c:3", "d:4"}));
    }

    void srvWeightsPickByRunningSum()
    {
        // RFC 2782: running sums 10, 30, 60 over weights 10, 20, 30 (sum 60). A pick of 11 selects the
        // first record whose running sum is >= 11: the second. Then sums 10, 40 (sum 40); a pick of 40
        // selects the last; the one left is chosen from a sum of 10.
        Script random{{11, 40, 0}, {}};
        const QList<SrvRecord> records{{"x", 1, 5, 10}, {"y", 2, 5, 20}, {"z", 3, 5, 30}};
        QCOMPARE(names(orderSrvRecords(records, std::ref(random))), (QStringList{"y:2", "z:3", "x:1"}));
        QCOMPARE(random.bounds, (QList<quint32>{60, 40, 10}));
    }

    void srvZeroWeightIsChosenOnlyByAZeroPick()
    {
        // Weight 0 goes to the front of its group, so only a pick of 0 selects it.
        Script zero{{0, 0}, {}};
        const QList<SrvRecord> records{{"heavy", 1, 1, 50}, {"spare", 2, 1, 0}};
        QCOMPARE(names(orderSrvRecords(records, std::ref(zero))), (QStringList{"spare:2", "heavy:1"}));
        Script one{{1, 0}, {}};
        QCOMPARE(names(orderSrvRecords(records, std::ref(one))), (QStringList{"heavy:1", "spare:2"}));
    }

    void srvDotTargetIsDropped()
    {
        Script random;
        QVERIFY(orderSrvRecords({{".", 0, 0, 0}}, std::ref(random)).isEmpty());
    }

    void srvWeightsShareTheFirstPlace()
    {
        // Over many draws with a real random source, weight 3 leads about three times as often as weight 1.
        int heavyFirst = 0;
        const QList<SrvRecord> records{{"light", 1, 0, 1}, {"heavy", 2, 0, 3}};
        for (int i = 0; i < 4000; ++i) {
            const auto order = orderSrvRecords(records, [](quint32 n) {
                return quint32(QRandomGenerator::global()->bounded(quint64(n) + 1));
            });
            heavyFirst += order.first().host == "heavy" ? 1 : 0;
        }
        // Picks 0..4: 0 and 1 choose "light" (running sum 1), 2..4 "heavy": 3/5 of the draws.
        QVERIFY2(heavyFirst > 2200 && heavyFirst < 2600, qPrintable(QString::number(heavyFirst)));
    }
};

QTEST_GUILESS_MAIN(TestClientServers)
#include "tst_clientservers.moc"
